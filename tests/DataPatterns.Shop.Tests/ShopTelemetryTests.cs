using System.Net;

namespace DataPatterns.Shop.Tests;

/// <summary>The Shop exports over OTLP only when a collector is named, and a malformed address stops it at start.</summary>
public sealed class ShopTelemetryTests
{
    [Fact]
    public async Task With_a_collector_named_the_shop_starts_and_serves_even_when_the_collector_is_away()
    {
        // Port 9 (discard) on loopback: nothing listens, so every export fails; serving must not care.
        await using var shop = await ShopInstance.StartAsync(["--Shop:Telemetry:OtlpEndpoint=http://127.0.0.1:9"]);

        using var products = await shop.Http.GetAsync("/products/1");
        using var live = await shop.Http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task A_collector_address_that_is_not_a_uri_stops_the_shop_at_start_naming_the_setting()
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync(["--Shop:Telemetry:OtlpEndpoint=not a uri"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Shop:Telemetry:OtlpEndpoint", transcript, StringComparison.Ordinal);
    }
}
