using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>
/// The Shop with <c>--orderShards=mariadb</c>: each order is one two-phase commit across PostgreSQL (the payment) and a
/// MariaDB order shard (the order row, an XA branch). Whatever happens, every payment has its order and every order its
/// payment, and nothing stays prepared on either engine.
/// </summary>
public sealed class MariaDbOrdersTests(MariaDbOrdersFixture servers, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MariaDbOrdersFixture>
{
    [Fact]
    public async Task Orders_placed_across_postgresql_and_mariadb_are_never_one_sided_and_nothing_stays_prepared()
    {
        await using var shop = await servers.StartShopAsync("xa1");
        var placed = new List<(string OrderId, string Shard)>();
        await Parallel.ForEachAsync(Enumerable.Range(1, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (customer, ct) =>
        {
            using var response = await shop.Http.PostAsJsonAsync("/orders", new { customerId = customer, productId = 7, quantity = 1 }, ct);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"order of customer {customer} answered {(int)response.StatusCode}: {body}\n{shop.Transcript}");
            lock (placed)
            {
                placed.Add((body.GetProperty("orderId").GetString()!, body.GetProperty("orderShard").GetString()!));
            }
        });

        var payments = await servers.PaymentsAsync();
        var ordersOne = await MariaDbOrdersFixture.OrdersAsync(servers.OrdersOne);
        var ordersTwo = await MariaDbOrdersFixture.OrdersAsync(servers.OrdersTwo);
        Assert.Subset(payments, placed.Select(p => p.OrderId).ToHashSet());   // the other test's orders may be there too
        Assert.Equal(payments.Order(), ordersOne.Concat(ordersTwo).Order());
        Assert.All(placed, p => Assert.Contains(p.OrderId, p.Shard == "orders-1" ? ordersOne : ordersTwo));
        Assert.NotEmpty(ordersOne);   // 40 customers spread over both shards: both engines' branches were exercised on each
        Assert.NotEmpty(ordersTwo);
        Assert.Equal((0L, 0L), await servers.PreparedAsync());
    }

    [Fact]
    public async Task An_instance_killed_while_placing_orders_leaves_nothing_one_sided_once_another_instance_has_taken_over()
    {
        var attempted = 0;
        var acknowledged = 0;
        await using (var doomed = await servers.StartShopAsync("xa-doomed"))
        {
            // One order first, so that the kill finds the instance warm and placing orders, not still starting on a busy machine.
            using (var first = await doomed.Http.PostAsJsonAsync("/orders", new { customerId = 999, productId = 7, quantity = 1 }))
            {
                Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            }

            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    Interlocked.Increment(ref attempted);
                    try
                    {
                        using var response = await doomed.Http.PostAsJsonAsync("/orders", new { customerId = 1000 + (worker * 1000) + i, productId = 7, quantity = 1 }, stop.Token);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            Interlocked.Increment(ref acknowledged);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        // The instance is being killed: these orders' outcome is whatever the two engines settle on.
                    }
                }
            })).ToArray();
            // Killed mid-load: after 4 s and at least 20 placed orders (bounded: 60 s).
            var loadStarted = DateTime.UtcNow;
            while ((DateTime.UtcNow - loadStarted < TimeSpan.FromSeconds(4) || Volatile.Read(ref acknowledged) < 20) && DateTime.UtcNow - loadStarted < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }

            await doomed.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        Assert.True(acknowledged >= 20, $"the load placed only {acknowledged} of {attempted} orders before the kill");
        var leftPrepared = await servers.PreparedAsync();
        output.WriteLine($"{attempted} orders attempted, {acknowledged} acknowledged; prepared right after the kill: {leftPrepared.Postgres} in PostgreSQL, {leftPrepared.MariaDb} in MariaDB");

        // A replacement under another node id: its recovery takes the dead node over (its claim lapsed with its sessions)
        // and settles what it left prepared on both engines, after the grace period.
        await using var survivor = await servers.StartShopAsync("xa-survivor");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (await servers.PreparedAsync() != (0L, 0L) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        Assert.True(await servers.PreparedAsync() == (0L, 0L), $"still prepared after 90 s: {await servers.PreparedAsync()}\n{await servers.DescribePreparedAsync()}\n{survivor.Transcript}");
        var payments = await servers.PaymentsAsync();
        var orders = (await MariaDbOrdersFixture.OrdersAsync(servers.OrdersOne)).Concat(await MariaDbOrdersFixture.OrdersAsync(servers.OrdersTwo)).ToHashSet();
        Assert.NotEmpty(payments);
        Assert.Empty(payments.Except(orders));   // no payment without its order
        Assert.Empty(orders.Except(payments));   // no order without its payment
        output.WriteLine($"settled: {payments.Count} orders in both engines, none one-sided, nothing prepared");
    }
}
