using System.Net;
using System.Net.Http.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// Past its concurrency limit the Shop answers at once with 503, Retry-After and Problem Details, never a 500 or a
/// request left hanging; the limits are settings, checked at start-up, and the limiter can be turned off.
/// </summary>
public sealed class ShopOverloadTests
{
    private const int Burst = 200;

    [Fact]
    public async Task A_burst_past_the_limit_is_shed_with_503_retry_after_and_problem_details_and_never_a_500()
    {
        await using var shop = await ShopInstance.StartAsync(["--Shop:Concurrency:PermitLimit=1", "--Shop:Concurrency:QueueLimit=0", "--Shop:Concurrency:RetryAfterSeconds=3"]);
        var answers = await PlaceOrdersAtOnceAsync(shop, Burst);

        var shed = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(shed);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"{(int)a.StatusCode}"));
        foreach (var answer in shed)
        {
            Assert.Equal(TimeSpan.FromSeconds(3), answer.Headers.RetryAfter?.Delta);
            Assert.Equal("overloaded", (await answer.AssertProblemAsync(HttpStatusCode.ServiceUnavailable)).Code());
        }

        Dispose(answers);
    }

    [Fact]
    public async Task A_request_that_waits_past_the_queue_timeout_is_shed_although_the_queue_has_room()
    {
        await using var shop = await ShopInstance.StartAsync(["--Shop:Concurrency:PermitLimit=1", $"--Shop:Concurrency:QueueLimit={Burst * 10}", "--Shop:Concurrency:QueueTimeoutSeconds=0.001"]);
        var answers = await PlaceOrdersAtOnceAsync(shop, Burst);

        var shed = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(shed);
        Assert.DoesNotContain(answers, a => (int)a.StatusCode >= 500 && a.StatusCode != HttpStatusCode.ServiceUnavailable);
        Assert.Equal("overloaded", (await shed[0].AssertProblemAsync(HttpStatusCode.ServiceUnavailable)).Code());
        Dispose(answers);
    }

    [Fact]
    public async Task Health_is_never_shed_while_everything_else_is()
    {
        await using var shop = await ShopInstance.StartAsync(["--Shop:Concurrency:PermitLimit=1", "--Shop:Concurrency:QueueLimit=0"]);
        var orders = PlaceOrdersAtOnceAsync(shop, Burst);
        var health = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => shop.Http.GetAsync("/health")));
        var answers = await orders;

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.All(health, h => Assert.Equal(HttpStatusCode.OK, h.StatusCode));
        Dispose(answers);
        Dispose(health);
    }

    [Fact]
    public async Task With_the_limiter_off_a_burst_is_served_whatever_the_limits_say()
    {
        await using var shop = await ShopInstance.StartAsync(["--Shop:Concurrency:Enabled=false", "--Shop:Concurrency:PermitLimit=1", "--Shop:Concurrency:QueueLimit=0"]);
        var answers = await PlaceOrdersAtOnceAsync(shop, Burst);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
        Dispose(answers);
    }

    [Theory]
    [InlineData("PermitLimit=0")]
    [InlineData("QueueLimit=-1")]
    [InlineData("QueueTimeoutSeconds=0")]
    [InlineData("RetryAfterSeconds=0")]
    public async Task A_limit_that_makes_no_sense_stops_the_shop_at_start_naming_the_setting(string setting)
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync([$"--Shop:Concurrency:{setting}"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"Shop:Concurrency:{setting.Split('=')[0]} is", transcript, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage[]> PlaceOrdersAtOnceAsync(ShopInstance shop, int count)
    {
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(1, count).Select(async customer =>
        {
            await start.WaitAsync();
            return await shop.Http.PostAsJsonAsync("/orders", new { customerId = 500_000 + customer, productId = 7, quantity = 1 });
        }).ToArray();
        start.Release(count);
        return await Task.WhenAll(requests);
    }

    private static void Dispose(IEnumerable<HttpResponseMessage> answers)
    {
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }
}
