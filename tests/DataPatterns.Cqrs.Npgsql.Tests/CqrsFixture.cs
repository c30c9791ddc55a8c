using System.Globalization;
using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Cqrs.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>One committed (or rolled back) unit of work of the tests: deposits per account.</summary>
internal sealed record Deposit(string Account, long Amount);

/// <summary>Writes through the outbox the way a command handler does, and knows what committed.</summary>
internal sealed class Ledger(string connectionString)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Balance, long Events)> _committed = new(StringComparer.Ordinal);

    public NpgsqlDataSource DataSource { get; } = NpgsqlDataSource.Create(connectionString);

    public NpgsqlOutbox Outbox => new(DataSource, new NpgsqlCqrsOptions());

    public async Task CreateWriteModelAsync()
    {
        await Outbox.EnsureCreatedAsync();
        await using var command = DataSource.CreateCommand("CREATE TABLE IF NOT EXISTS write_accounts (id text PRIMARY KEY, balance bigint NOT NULL)");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// One command: updates the write model and appends its events (plus one event no projection handles) in one
    /// transaction, pausing between statements; commits or rolls back.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<Deposit> deposits, bool rollback, int pauseMs, NpgsqlOutbox outbox)
    {
        try
        {
            await WriteOnceAsync(deposits, rollback, pauseMs, outbox);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected)
        {
            // Writers lock accounts in random order: the database rolled this one back, so it never committed.
        }
    }

    private async Task WriteOnceAsync(IReadOnlyList<Deposit> deposits, bool rollback, int pauseMs, NpgsqlOutbox outbox)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var deposit in deposits)
        {
            await using (var update = new NpgsqlCommand("INSERT INTO write_accounts (id, balance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = write_accounts.balance + EXCLUDED.balance", connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = deposit.Account });
                update.Parameters.Add(new NpgsqlParameter { Value = deposit.Amount });
                await update.ExecuteNonQueryAsync();
            }

            await outbox.AppendAsync(transaction, new OutboxEvent(deposit.Account, AccountsProjection.Deposited, deposit.Amount.ToString(CultureInfo.InvariantCulture)));
            if (pauseMs > 0)
            {
                await Task.Delay(pauseMs);
            }
        }

        await outbox.AppendAsync(transaction, [new OutboxEvent("noise", "ignored", "{}")]);
        if (rollback)
        {
            await transaction.RollbackAsync();
            return;
        }

        await transaction.CommitAsync();

        lock (_lock)
        {
            foreach (var deposit in deposits)
            {
                var current = _committed.GetValueOrDefault(deposit.Account);
                _committed[deposit.Account] = (current.Balance + deposit.Amount, current.Events + 1);
            }
        }
    }

    public Dictionary<string, (long Balance, long Events)> Committed()
    {
        lock (_lock)
        {
            return new Dictionary<string, (long, long)>(_committed, StringComparer.Ordinal);
        }
    }
}

/// <summary>The projection runner in this process, configured as an application would through AddCqrs().UseNpgsql().</summary>
internal sealed class RunnerHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly List<IHostedService> _hosted;

    public RunnerHost(string connectionString, IEnumerable<IProjection> projections, Action<ProjectionRunnerOptions>? configure = null, Action<NpgsqlCqrsOptions>? configureStore = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCqrs(cqrs =>
            {
                foreach (var projection in projections)
                {
                    cqrs.AddProjection(projection);
                }

                cqrs.ConfigureRunner(o =>
                {
                    o.BatchSize = 50;
                    o.RetryDelay = TimeSpan.FromMilliseconds(10);
                    o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
                    o.LeaseDuration = TimeSpan.FromSeconds(5);
                    o.LeaseRetryInterval = TimeSpan.FromMilliseconds(100);
                    o.RebuildCheckInterval = TimeSpan.FromMilliseconds(100);
                    o.LagProbeInterval = TimeSpan.FromMilliseconds(200);
                    o.IdlePollInterval = TimeSpan.FromMilliseconds(500);
                    configure?.Invoke(o);
                });
            })
            .UseNpgsql(o =>
            {
                o.ConnectionString = connectionString;
                configureStore?.Invoke(o);
            });
        _provider = services.BuildServiceProvider();
        _hosted = [.. _provider.GetServices<IHostedService>()];
    }

    public IProjectionMonitor Monitor => _provider.GetRequiredService<IProjectionMonitor>();

    public IProjectionRebuilder Rebuilder => _provider.GetRequiredService<IProjectionRebuilder>();

    public IDeadLetterStore DeadLetters => _provider.GetRequiredService<IDeadLetterStore>();

    public async Task<RunnerHost> StartAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return this;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}

internal static class ReadModel
{
    /// <summary>The read model as readers see it: the view over the live generation.</summary>
    public static async Task<Dictionary<string, (long Balance, long Events)>> ReadAsync(string connectionString, string table = "accounts.accounts")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, balance, events FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return result;
    }

    public static async Task<Dictionary<string, long>> WriteModelAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, balance FROM write_accounts", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = reader.GetInt64(1);
        }

        return result;
    }

    /// <summary>Waits until the live generation's checkpoint is at the last committed event (and no rebuild runs, if asked).</summary>
    public static async Task WaitForCatchUpAsync(string eventsConnectionString, string readModelConnectionString, string projection, TimeSpan timeout, bool noRebuild = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (true)
        {
            try
            {
                var head = await ScalarStringAsync(eventsConnectionString, "SELECT coalesce((SELECT transaction_id || '/' || sequence FROM cqrs.events ORDER BY transaction_id DESC, sequence DESC LIMIT 1), '0/0')");
                var checkpoint = await ScalarStringAsync(readModelConnectionString, $"""
                    SELECT c.transaction_id || '/' || c.sequence || CASE WHEN p.building_generation IS NULL THEN '' ELSE ' building' END
                    FROM cqrs.checkpoints c JOIN cqrs.projections p ON p.name = c.name AND p.live_generation = c.generation
                    WHERE c.name = '{projection}'
                    """);
                last = $"head {head}, checkpoint {checkpoint}";
                if (checkpoint == head || (!noRebuild && checkpoint == head + " building"))
                {
                    return;
                }
            }
            catch (NpgsqlException ex)
            {
                last = ex.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Projection '{projection}' did not catch up within {timeout}: {last}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Folds the committed "deposited" events up to the live checkpoint, straight from the outbox.</summary>
    public static async Task<Dictionary<string, (long Balance, long Events)>> FoldUpToCheckpointAsync(string connectionString, string projection)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT stream_id, sum(payload::bigint)::bigint, count(*) FROM cqrs.events
            WHERE event_type = 'deposited'
              AND (transaction_id, sequence) <= (SELECT c.transaction_id, c.sequence FROM cqrs.checkpoints c JOIN cqrs.projections p ON p.name = c.name AND p.live_generation = c.generation WHERE c.name = $1)
            GROUP BY stream_id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = projection });
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return result;
    }

    /// <summary>Counts the outbox events (of any type) up to the live checkpoint.</summary>
    public static async Task<long> CountUpToCheckpointAsync(string connectionString, string projection)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM cqrs.events
            WHERE (transaction_id, sequence) <= (SELECT c.transaction_id, c.sequence FROM cqrs.checkpoints c JOIN cqrs.projections p ON p.name = c.name AND p.live_generation = c.generation WHERE c.name = $1)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = projection });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string?> ScalarStringAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync()) as string;
    }
}
