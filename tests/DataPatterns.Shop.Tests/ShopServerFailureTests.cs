using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// A database failure never reaches the client as exception text: it gets a Problem Details body with a traceId, and
/// the Shop's log holds the exception under that trace id. A server that is away is a 503 with Retry-After, not a 500.
/// </summary>
public sealed class ShopServerFailureTests(PrivateServersShopFixture servers) : IClassFixture<PrivateServersShopFixture>
{
    // What an exception's text or a stack trace would put in a body; none of it may reach the client.
    private static readonly string[] InternalWords = ["payments", "relation", "Npgsql", "Postgres", "Exception", "42P01", "   at ", "SELECT", "INSERT", "127.0.0.1"];

    private HttpClient Http => servers.Shop.Http;

    [Fact]
    public async Task A_database_error_is_a_500_problem_with_a_trace_id_the_log_holds_and_no_exception_text()
    {
        await servers.ExecuteAsync("ALTER TABLE payments RENAME TO payments_away");
        try
        {
            using var response = await PostOrderPastBrokenConnectionsAsync();
            var problem = await response.AssertProblemAsync(HttpStatusCode.InternalServerError);
            Assert.Equal("internal-error", problem.Code());
            Assert.NotEqual(Guid.Empty, problem.GetProperty("orderId").GetGuid());
            AssertNoInternals(problem);

            var traceId = problem.GetProperty("traceId").GetString()!;
            await WaitForAsync(() => servers.Shop.Transcript.Contains(traceId, StringComparison.Ordinal) && servers.Shop.Transcript.Contains("42P01", StringComparison.Ordinal));
        }
        finally
        {
            await servers.ExecuteAsync("ALTER TABLE payments_away RENAME TO payments");
        }
    }

    [Fact]
    public async Task A_stopped_database_is_a_503_problem_with_retry_after_and_orders_are_taken_again_once_it_is_back()
    {
        await PlaceAnOrderWithinAsync(TimeSpan.FromSeconds(60));
        await servers.Primary.StopAsync(immediate: true);
        try
        {
            using var order = await Http.PostAsJsonAsync("/orders", new { customerId = 78, productId = 7, quantity = 1 });
            var orderProblem = await order.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.True(order.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {order.Headers.RetryAfter}");
            AssertNoInternals(orderProblem);
            Assert.NotEqual(Guid.Empty, orderProblem.GetProperty("orderId").GetGuid());   // the Shop picked it: the client needs it to retry safely

            using var write = await Http.PutAsJsonAsync("/products/40", new { name = "Kettle", price = 9.99m });
            var writeProblem = await write.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(write.Headers.RetryAfter?.Delta);
            AssertNoInternals(writeProblem);
        }
        finally
        {
            await servers.Primary.StartAsync();
        }

        await PlaceAnOrderWithinAsync(TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task Ready_lists_every_check_with_the_routers_nodes_and_turns_503_while_the_primary_is_stopped()
    {
        var ready = await ReadyWithinAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var checks = ready.GetProperty("checks");
        foreach (var name in new[] { "datapatterns-routing", "datapatterns-2pc", "datapatterns-cache-writeback", "datapatterns-cache-backplane", "datapatterns-projections" })
        {
            Assert.True(checks.TryGetProperty(name, out _), $"/health/ready has no '{name}': {ready}");
        }

        var routing = checks.GetProperty("datapatterns-routing").GetProperty("data");
        Assert.Equal("Primary", routing.GetProperty("node.primary.role").GetString());
        Assert.Equal("Replica", routing.GetProperty("node.replica.role").GetString());
        Assert.True(routing.GetProperty("node.primary.concurrency_limit").GetInt32() > 0, "the Shop runs the router's adaptive limit");

        await servers.Primary.StopAsync(immediate: true);
        try
        {
            var down = await ReadyWithinAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
            Assert.Equal("Unhealthy", down.GetProperty("checks").GetProperty("datapatterns-routing").GetProperty("status").GetString());
            using var live = await Http.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);   // the process is fine: do not restart it
        }
        finally
        {
            await servers.Primary.StartAsync();
        }

        await ReadyWithinAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        await PlaceAnOrderWithinAsync(TimeSpan.FromSeconds(90));
    }

    // Another test of this class stops the primary. Connections pooled before the stop are broken, and each one drawn
    // after the restart answers a 503 once (a transient, retryable refusal, which is right); the error this test is
    // about must then come as a 500.
    private async Task<HttpResponseMessage> PostOrderPastBrokenConnectionsAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await Http.PostAsJsonAsync("/orders", new { customerId = 77, productId = 7, quantity = 1 });
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 50)
            {
                return response;
            }

            response.Dispose();
        }
    }

    private async Task<JsonElement> ReadyWithinAsync(HttpStatusCode expected, TimeSpan time)
    {
        var deadline = DateTime.UtcNow + time;
        while (true)
        {
            using var response = await Http.GetAsync("/health/ready");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.StatusCode == expected || DateTime.UtcNow > deadline)
            {
                Assert.True(response.StatusCode == expected, $"/health/ready answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
                return body;
            }

            await Task.Delay(250);
        }
    }

    private static void AssertNoInternals(JsonElement problem)
    {
        var body = problem.GetRawText();
        Assert.All(InternalWords, word => Assert.DoesNotContain(word, body, StringComparison.OrdinalIgnoreCase));
    }

    private async Task PlaceAnOrderWithinAsync(TimeSpan time)
    {
        var deadline = DateTime.UtcNow + time;
        HttpStatusCode last;
        do
        {
            using var response = await Http.PostAsJsonAsync("/orders", new { customerId = 79, productId = 7, quantity = 1 });
            last = response.StatusCode;
            if (last == HttpStatusCode.Created)
            {
                return;
            }

            Assert.True(last is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout, $"an order answered {(int)last} while the database came back: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"no order was placed within {time} (the last answer was {(int)last}). The Shop printed:\n{servers.Shop.Transcript}");
    }

    private async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), $"The Shop's log does not hold the failure under its trace id:\n{servers.Shop.Transcript}");
    }
}
