using Microsoft.AspNetCore.Http;

namespace DataPatterns.AspNetCore;

/// <summary>How <c>UseReadYourWrites()</c> carries the routing session's token from a write to the user's next request.</summary>
public sealed class ReadYourWritesOptions
{
    /// <summary>Cookie, header, or both. Default: <see cref="ReadYourWritesCarrier.Cookie"/>.</summary>
    public ReadYourWritesCarrier Carrier { get; set; } = ReadYourWritesCarrier.Cookie;

    /// <summary>The cookie's name. Default <c>dp-ryw</c>.</summary>
    public string CookieName { get; set; } = "dp-ryw";

    /// <summary>The header's name, on requests and responses. Default <c>X-Read-Your-Writes</c>.</summary>
    public string HeaderName { get; set; } = "X-Read-Your-Writes";

    /// <summary>
    /// How long the cookie lives. Default 5 minutes: a replica far behind for longer is ejected by the router's lag bound
    /// anyway, and after that the token only sends reads to the primary for nothing.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>SameSite of the cookie. Default <see cref="SameSiteMode.Lax"/>.</summary>
    public SameSiteMode SameSite { get; set; } = SameSiteMode.Lax;

    /// <summary>HttpOnly cookie (scripts never need the token). Default true.</summary>
    public bool HttpOnly { get; set; } = true;

    /// <summary>The cookie's path. Default <c>/</c>.</summary>
    public string CookiePath { get; set; } = "/";

    /// <summary>
    /// Longer incoming values are ignored without parsing (a token is at most 17 characters; the bound keeps garbage cheap).
    /// Default 64.
    /// </summary>
    public int MaxTokenLength { get; set; } = 64;
}
