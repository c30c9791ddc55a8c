using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>The Shop's liveness and readiness endpoints, with no servers (the library's checks on in-process stores).</summary>
public sealed class ShopHealthTests(EmbeddedShopFixture fixture) : IClassFixture<EmbeddedShopFixture>
{
    [Fact]
    public async Task Live_runs_no_check_and_answers_healthy()
    {
        using var response = await fixture.Shop.Http.GetAsync("/health/live");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Empty(body.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task Ready_runs_the_write_back_two_phase_commit_and_projection_checks_with_their_data()
    {
        using var response = await fixture.Shop.Http.GetAsync("/health/ready");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = body.GetProperty("checks");
        Assert.Equal(["datapatterns-2pc", "datapatterns-cache-writeback", "datapatterns-projections"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal(0, checks.GetProperty("datapatterns-2pc").GetProperty("data").GetProperty("in_doubt").GetInt32());
        Assert.True(checks.GetProperty("datapatterns-cache-writeback").GetProperty("data").GetProperty("cache.carts.flush_loop_running").GetBoolean());
    }
}
