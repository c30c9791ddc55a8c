namespace DataPatterns.Samples.Shop;

/// <summary>Where the Shop listens when nobody says otherwise, and the tour it prints.</summary>
internal static class ShopDefaults
{
    public const string Url = "http://127.0.0.1:5080";

    /// <summary>"embedded" runs on in-process stores; "services" (--services) uses the servers of eng/services.sh.</summary>
    public static string Mode(IConfiguration configuration) =>
        configuration.GetValue<bool>("services") ? "services" : "embedded";

    public static string Tour(string url) =>
        $"""
        Try:
          curl {url}/health
        """;
}
