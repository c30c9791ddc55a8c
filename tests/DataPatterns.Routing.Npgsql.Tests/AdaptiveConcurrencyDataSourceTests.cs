using System.Data.Common;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>
/// Any data source (here a real NpgsqlDataSource, as a shard's would be) behind the adaptive limit: opens past the limit
/// and its queue are refused at once with the typed, transient overload error, and a slot frees when a connection closes.
/// </summary>
public sealed class AdaptiveConcurrencyDataSourceTests
{
    [Fact]
    public async Task Past_the_limit_with_no_queue_an_open_is_refused_with_the_overload_error_and_a_close_frees_the_slot()
    {
        await using var limited = Limited(o => { o.InitialLimit = 2; o.MinLimit = 1; o.MaxLimit = 2; o.MaxQueue = 0; });
        await using var first = await limited.OpenConnectionAsync();
        await using var second = await limited.OpenConnectionAsync();

        var refused = await Assert.ThrowsAsync<NodeOverloadedException>(() => limited.OpenConnectionAsync().AsTask());
        Assert.Equal("orders-1", refused.NodeName);
        Assert.Equal(TimeSpan.FromSeconds(3), refused.RetryAfter);
        Assert.True(refused.IsTransient);
        Assert.Contains("adaptive concurrency limit", refused.Message, StringComparison.Ordinal);
        Assert.Throws<NodeOverloadedException>(() => limited.OpenConnection());
        Assert.True(limited.Rejected >= 2, $"rejected {limited.Rejected}");

        await first.CloseAsync();
        await using var third = await limited.OpenConnectionAsync();
        Assert.Equal(1, await ScalarAsync(third));
        Assert.Equal(2, limited.InFlight);
    }

    [Fact]
    public async Task An_open_waits_in_the_queue_and_gets_the_slot_a_closing_connection_frees()
    {
        await using var limited = Limited(o => { o.InitialLimit = 1; o.MinLimit = 1; o.MaxLimit = 1; o.MaxQueue = 1; o.MaxQueueWait = TimeSpan.FromSeconds(20); });
        var first = await limited.OpenConnectionAsync();
        var waiting = limited.OpenConnectionAsync().AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, limited.Queued);

        await first.DisposeAsync();
        await using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, await ScalarAsync(second));
    }

    [Fact]
    public async Task A_connection_handed_out_unopened_takes_a_slot_when_opened_and_is_never_refused()
    {
        await using var limited = Limited(o => { o.InitialLimit = 1; o.MinLimit = 1; o.MaxLimit = 1; o.MaxQueue = 0; });
        await using var held = await limited.OpenConnectionAsync();
        await using var unopened = limited.CreateConnection();

        await unopened.OpenAsync();

        Assert.Equal(2, limited.InFlight);
        await unopened.CloseAsync();
        Assert.Equal(1, limited.InFlight);
    }

    [Fact]
    public async Task Under_many_times_the_load_it_allows_every_open_is_served_or_refused_with_the_overload_error_and_in_flight_stays_bounded()
    {
        await using var limited = Limited(o => { o.InitialLimit = 4; o.MinLimit = 1; o.MaxLimit = 4; o.MaxQueue = 4; o.MaxQueueWait = TimeSpan.FromMilliseconds(50); });
        var maxInFlight = 0;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            try
            {
                await using var connection = await limited.OpenConnectionAsync();
                InterlockedMax(ref maxInFlight, limited.InFlight);
                await using var command = new NpgsqlCommand("SELECT pg_sleep(0.02)", (NpgsqlConnection)connection);
                await command.ExecuteNonQueryAsync();
                return "served";
            }
            catch (NodeOverloadedException)
            {
                return "refused";
            }
        }));

        Assert.Contains("served", outcomes);
        Assert.Contains("refused", outcomes);
        Assert.True(maxInFlight <= 4, $"in flight reached {maxInFlight}, over the limit of 4");
        Assert.Equal(0, limited.InFlight);
    }

    [Fact]
    public void Settings_that_make_no_sense_are_refused_naming_the_setting()
    {
        using var inner = NpgsqlDataSource.Create(TestServers.Primary.ConnectionString);

        var error = Assert.Throws<ArgumentException>(() => inner.WithAdaptiveConcurrency("orders-1", o => o.MaxLimit = 0));

        Assert.Contains("Data source 'orders-1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxLimit", error.Message, StringComparison.Ordinal);
    }

    private static AdaptiveConcurrencyDataSource Limited(Action<AdaptiveConcurrencyOptions> configure) =>
        NpgsqlDataSource.Create(TestServers.Primary.ConnectionString).WithAdaptiveConcurrency("orders-1", configure, TimeSpan.FromSeconds(3));

    private static async Task<int> ScalarAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
        {
            current = Volatile.Read(ref target);
        }
    }
}
