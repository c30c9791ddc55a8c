namespace DataPatterns.AspNetCore;

/// <summary>Where the read-your-writes token travels between a user's requests.</summary>
[Flags]
public enum ReadYourWritesCarrier
{
    /// <summary>A cookie: browsers send it back by themselves.</summary>
    Cookie = 1,

    /// <summary>A request/response header: for API clients that copy it from the response to their next request.</summary>
    Header = 2,

    /// <summary>Both: read from either (the later position wins), written to both.</summary>
    CookieAndHeader = Cookie | Header,
}
