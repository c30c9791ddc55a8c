using System.Globalization;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Cqrs.Redis;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace DataPatterns.Cqrs.Redis.Tests;

/// <summary>Per account: the sum of deposits (hash "balances") and the number applied (hash "counts"). "poison" throws.</summary>
internal sealed class BalancesInRedis : IProjection<RedisProjectionContext>
{
    public string Name => "balances";

    public IReadOnlyCollection<string> EventTypes { get; } = ["deposited"];

    public ValueTask InitializeAsync(RedisProjectionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, RedisProjectionContext context, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            if (e.Payload == "poison")
            {
                throw new InvalidDataException($"Event {e.Position} is poison.");
            }

            _ = context.Transaction.HashIncrementAsync(context.Key("balances"), e.StreamId, long.Parse(e.Payload, CultureInfo.InvariantCulture));
            _ = context.Transaction.HashIncrementAsync(context.Key("counts"), e.StreamId, 1);
        }

        return ValueTask.CompletedTask;
    }
}

public sealed class RedisReadModelTests : IAsyncLifetime
{
    private readonly string _prefix = $"cqrs-test-{Guid.NewGuid():N}:";
    private readonly Dictionary<string, (long Balance, long Count)> _committed = new(StringComparer.Ordinal);
    private TemporaryDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;
    private NpgsqlOutbox _outbox = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_redis");
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        _outbox = new NpgsqlOutbox(_dataSource, new NpgsqlCqrsOptions());
        await _outbox.EnsureCreatedAsync();
        _redis = await ServerConnections.ConnectRedisAsync();
    }

    public async Task DisposeAsync()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: "{" + _prefix + "*"))
        {
            await _redis.GetDatabase().KeyDeleteAsync(key);
        }

        await _redis.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Concurrent_writers_with_rollbacks_end_with_the_fold_of_the_committed_events_in_Redis()
    {
        await using var host = await StartAsync();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < 25; i++)
            {
                await WriteAsync($"acct-{random.Next(5)}", random.Next(-20, 60).ToString(CultureInfo.InvariantCulture), rollback: random.Next(5) == 0, pauseMs: random.Next(4));
            }
        })));

        await WaitForCatchUpAsync(host.Monitor);
        Assert.Equal(Sorted(_committed), await ReadModelAsync());
    }

    [Fact]
    public async Task A_replayed_batch_or_a_deposed_leader_is_refused_whole()
    {
        var store = new RedisProjectionStore(_redis, _prefix);
        var projection = new BalancesInRedis();
        var e1 = new EventEnvelope(new EventPosition(10, 1), "deposited", "acct-1", "5", DateTimeOffset.UtcNow);
        var e2 = new EventEnvelope(new EventPosition(10, 2), "deposited", "acct-1", "7", DateTimeOffset.UtcNow);
        var token = (await store.TryAcquireAsync("balances", "old", TimeSpan.FromMinutes(1), CancellationToken.None))!.Value;
        Assert.Null(await store.TryAcquireAsync("balances", "new", TimeSpan.FromMinutes(1), CancellationToken.None));
        await store.OpenAsync(projection, token, CancellationToken.None);

        await store.CommitBatchAsync(new ProjectionBatch(projection, 1, EventPosition.Start, e2.Position, [e1, e2], [], token), CancellationToken.None);
        var replay = new ProjectionBatch(projection, 1, EventPosition.Start, e2.Position, [e1, e2], [], token);
        await Assert.ThrowsAsync<LeadershipLostException>(async () => await store.CommitBatchAsync(replay, CancellationToken.None));
        Assert.Equal(12, (long)await _redis.GetDatabase().HashGetAsync(await RedisReadModel.LiveKeyAsync(_redis.GetDatabase(), "balances", "balances", _prefix), "acct-1"));

        // The old holder's lease lapses (it paused); a new one takes over with a larger token and the old one is fenced.
        await _redis.GetDatabase().KeyDeleteAsync("{" + _prefix + "balances}:lease:holder");
        var newToken = (await store.TryAcquireAsync("balances", "new", TimeSpan.FromMinutes(1), CancellationToken.None))!.Value;
        Assert.True(newToken > token);
        var e3 = new EventEnvelope(new EventPosition(11, 3), "deposited", "acct-1", "100", DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<LeadershipLostException>(async () =>
            await store.CommitBatchAsync(new ProjectionBatch(projection, 1, e2.Position, e3.Position, [e3], [], token), CancellationToken.None));
        await store.CommitBatchAsync(new ProjectionBatch(projection, 1, e2.Position, e3.Position, [e3], [], newToken), CancellationToken.None);
        Assert.Equal(112, (long)await _redis.GetDatabase().HashGetAsync(await RedisReadModel.LiveKeyAsync(_redis.GetDatabase(), "balances", "balances", _prefix), "acct-1"));
    }

    [Fact]
    public async Task A_rebuild_switches_readers_to_a_fresh_generation_and_a_poison_event_is_parked()
    {
        for (var i = 0; i < 40; i++)
        {
            await WriteAsync($"acct-{i % 4}", i == 17 ? "poison" : "3", rollback: false, pauseMs: 0);
        }

        await using var host = await StartAsync();
        await WaitForCatchUpAsync(host.Monitor);
        var letter = Assert.Single(await host.Services.GetRequiredService<IDeadLetterStore>().GetAsync("balances", CancellationToken.None));
        Assert.Equal("poison", letter.Event.Payload);
        Assert.Contains("InvalidDataException", letter.Error, StringComparison.Ordinal);

        var generation = await host.Services.GetRequiredService<IProjectionRebuilder>().RebuildAsync("balances");
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync($"acct-{i % 4}", "1", rollback: false, pauseMs: 1);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Monitor.Find("balances") is not { LiveGeneration: var live, RebuildingGeneration: null } || live != generation)
        {
            Assert.True(DateTime.UtcNow < deadline, "the rebuild did not switch within 30 s");
            await Task.Delay(20);
        }

        await WaitForCatchUpAsync(host.Monitor);
        Assert.Equal(Sorted(_committed), await ReadModelAsync());
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.Empty(await server.KeysAsync(pattern: "{" + _prefix + "balances}:g1:*").ToListAsync());
    }

    [Fact]
    public async Task Deleting_a_retired_generation_touches_no_key_outside_that_generation()
    {
        for (var i = 0; i < 10; i++)
        {
            await WriteAsync($"acct-{i % 3}", "2", rollback: false, pauseMs: 0);
        }

        await using var host = await StartAsync();
        await WaitForCatchUpAsync(host.Monitor);
        var db = _redis.GetDatabase();
        var sibling = _prefix[..^1] + "x:"; // another store's prefix that starts like this one
        RedisKey[] neighbours =
        [
            "{" + _prefix + "balances}:g10:balances", // a generation whose number starts like the retired one's
            "{" + _prefix + "balances}:g1", // no separator after the generation
            "{" + _prefix + "balances_x}:g1:balances", // another projection whose name starts like this one
            "{" + sibling + "balances}:g1:balances", // the same projection and generation under the other prefix
        ];
        try
        {
            foreach (var key in neighbours)
            {
                await db.StringSetAsync(key, "keep", TimeSpan.FromMinutes(5));
            }

            var generation = await host.Services.GetRequiredService<IProjectionRebuilder>().RebuildAsync("balances");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (host.Monitor.Find("balances") is not { LiveGeneration: var live, RebuildingGeneration: null } || live != generation)
            {
                Assert.True(DateTime.UtcNow < deadline, "the rebuild did not switch within 30 s");
                await Task.Delay(20);
            }

            var server = _redis.GetServer(_redis.GetEndPoints()[0]);
            Assert.Empty(await server.KeysAsync(pattern: "{" + _prefix + "balances}:g1:*").ToListAsync()); // the retired generation went
            foreach (var key in neighbours)
            {
                Assert.True(await db.KeyExistsAsync(key), $"{key} was deleted with the retired generation");
            }

            Assert.True(await db.KeyExistsAsync("{" + _prefix + "balances}:meta"));
        }
        finally
        {
            await db.KeyDeleteAsync(neighbours);
        }
    }

    private async Task<TestHost> StartAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConnectionMultiplexer>(_redis);
        services.AddCqrs(cqrs => cqrs
                .AddProjection(new BalancesInRedis())
                .ConfigureRunner(o =>
                {
                    o.BatchSize = 15;
                    o.MaxAttempts = 2;
                    o.RetryDelay = TimeSpan.FromMilliseconds(5);
                    o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
                    o.RebuildCheckInterval = TimeSpan.FromMilliseconds(50);
                    o.LagProbeInterval = TimeSpan.FromMilliseconds(50);
                }))
            .UseNpgsql(o => o.ConnectionString = _database.ConnectionString)
            .UseRedisReadModels(o => o.KeyPrefix = _prefix);
        var host = new TestHost(services.BuildServiceProvider());
        foreach (var service in host.Services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }

        return host;
    }

    private async Task WriteAsync(string account, string payload, bool rollback, int pauseMs)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await _outbox.AppendAsync(transaction, new OutboxEvent(account, "deposited", payload));
        await _outbox.AppendAsync(transaction, new OutboxEvent(account, "ignored", "{}"));
        if (pauseMs > 0)
        {
            await Task.Delay(pauseMs);
        }

        if (rollback)
        {
            await transaction.RollbackAsync();
            return;
        }

        await transaction.CommitAsync();
        if (payload != "poison")
        {
            lock (_committed)
            {
                var current = _committed.GetValueOrDefault(account);
                _committed[account] = (current.Balance + long.Parse(payload, CultureInfo.InvariantCulture), current.Count + 1);
            }
        }
    }

    private async Task WaitForCatchUpAsync(IProjectionMonitor monitor)
    {
        await using var head = _dataSource.CreateCommand("SELECT transaction_id, sequence FROM cqrs.events ORDER BY transaction_id DESC, sequence DESC LIMIT 1");
        await using var reader = await head.ExecuteReaderAsync();
        await reader.ReadAsync();
        var last = new EventPosition(reader.GetInt64(0), reader.GetInt64(1));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (monitor.Find("balances")?.Checkpoint != last)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the projection did not reach {last} within 30 s: {monitor.Find("balances")}");
            await Task.Delay(20);
        }
    }

    private async Task<List<KeyValuePair<string, (long, long)>>> ReadModelAsync()
    {
        var db = _redis.GetDatabase();
        var balances = await db.HashGetAllAsync(await RedisReadModel.LiveKeyAsync(db, "balances", "balances", _prefix));
        var counts = (await db.HashGetAllAsync(await RedisReadModel.LiveKeyAsync(db, "balances", "counts", _prefix))).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        return Sorted(balances.ToDictionary(e => e.Name.ToString(), e => ((long)e.Value, counts[e.Name.ToString()])));
    }

    private static List<KeyValuePair<string, (long, long)>> Sorted(Dictionary<string, (long, long)> values) =>
        [.. values.OrderBy(p => p.Key, StringComparer.Ordinal)];

    private sealed class TestHost(ServiceProvider services) : IAsyncDisposable
    {
        public ServiceProvider Services { get; } = services;

        public IProjectionMonitor Monitor => Services.GetRequiredService<IProjectionMonitor>();

        public async ValueTask DisposeAsync()
        {
            foreach (var service in Services.GetServices<IHostedService>())
            {
                await service.StopAsync(CancellationToken.None);
            }

            await Services.DisposeAsync();
        }
    }
}
