using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>
/// The outbox only grows, so the runner's statements must cost the same on a large outbox as on a small one: an ordered
/// range scan of the primary key from the checkpoint, bounded by LIMIT, whatever plan PostgreSQL caches for them.
/// </summary>
public sealed class OutboxQueryPlanTests
{
    private const int Rows = NpgsqlEventSource.LagCountLimit + 5_000;

    [Fact]
    public async Task Reading_checking_for_pending_events_and_measuring_lag_on_a_large_outbox_range_scan_the_primary_key_in_every_plan()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_plans");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var options = new NpgsqlCqrsOptions();
        await using var source = await FillAsync(dataSource, options);

        await using var connection = await dataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, $"PREPARE read_events(bigint, bigint, int) AS {source.ReadSql}");
        await ExecuteAsync(connection, $"PREPARE measure_lag(bigint, bigint, int) AS {source.LagSql}");
        foreach (var mode in new[] { "force_custom_plan", "force_generic_plan" })
        {
            await ExecuteAsync(connection, $"SET plan_cache_mode = {mode}");

            // Whether anything waits behind an older transaction: nothing does here, and finding that out must not
            // read the whole outbox (the horizon is unknown to the planner, which guesses a third of the rows match).
            var pending = await PlanAsync(connection, $"EXPLAIN {source.PendingSql}");
            Assert.Contains("using events_pkey on events", pending, StringComparison.Ordinal);
            Assert.DoesNotContain("Seq Scan on events", pending, StringComparison.Ordinal);

            foreach (var (statement, limit) in new[] { ("read_events", 1000), ("measure_lag", NpgsqlEventSource.LagCountLimit) })
            {
                // From the start and from near the head: the plan must not depend on how much lies behind the checkpoint.
                foreach (var after in new[] { "0, 0", "2040, 104000" })
                {
                    var plan = await PlanAsync(connection, $"EXPLAIN EXECUTE {statement}({after}, {limit})");
                    Assert.True(plan.Contains("events_pkey", StringComparison.Ordinal) && plan.Contains("Index Cond: (", StringComparison.Ordinal) && plan.Contains("ROW(transaction_id, sequence) > ROW(", StringComparison.Ordinal), $"{statement} ({mode}, after {after}) does not range-scan the primary key from the checkpoint:\n{plan}");
                    Assert.DoesNotContain("Seq Scan on events", plan, StringComparison.Ordinal);
                    if (statement == "read_events")
                    {
                        // Reading must stream in index order: no sort of what lies behind the checkpoint.
                        Assert.DoesNotContain("Sort Key: e.transaction_id", plan, StringComparison.Ordinal);
                    }

                    Assert.Contains("Limit", plan, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public async Task Lag_is_exact_up_to_the_counting_limit_and_estimated_from_sequence_numbers_beyond_it()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_plans");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var source = await FillAsync(dataSource, new NpgsqlCqrsOptions());

        var fromStart = await source.GetLagAsync(EventPosition.Start, CancellationToken.None);
        Assert.Equal(Rows, fromStart.EventsBehind);
        Assert.NotNull(fromStart.OldestUnprocessedAt);

        var read = await source.ReadAsync(EventPosition.Start, 10_000, CancellationToken.None);
        var afterTenThousand = await source.GetLagAsync(read.Events[^1].Position, CancellationToken.None);
        Assert.Equal(Rows - 10_000, afterTenThousand.EventsBehind);

        var head = (await source.ReadAsync(new EventPosition(2049, 0), 10_000, CancellationToken.None)).Events[^1].Position;
        var caughtUp = await source.GetLagAsync(head, CancellationToken.None);
        Assert.Equal(0, caughtUp.EventsBehind);
        Assert.Null(caughtUp.OldestUnprocessedAt);
    }

    /// <summary>Rows of finished transactions 1000..2050 (100 events each, sequence numbers in position order), analyzed.</summary>
    private static async Task<NpgsqlEventSource> FillAsync(NpgsqlDataSource dataSource, NpgsqlCqrsOptions options)
    {
        await new NpgsqlOutbox(dataSource, options).EnsureCreatedAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            // The rows stand for finished transactions, so the server's own transaction ids must already be past them:
            // a freshly started cluster is still near 750, and there the source would see them as still running. Each
            // COMMIT in the loop ends a transaction that took an id.
            await ExecuteAsync(connection, $"""
                DO $$
                BEGIN
                    WHILE pg_current_xact_id()::text::bigint <= {1000 + (Rows / 100) + 1} LOOP
                        COMMIT;
                    END LOOP;
                END $$
                """);
            await ExecuteAsync(connection, $"""
                INSERT INTO cqrs.events (transaction_id, stream_id, event_type, payload)
                SELECT 1000 + i / 100, 'acct-' || (i % 200), 'deposited', '1' FROM generate_series(0, {Rows - 1}) AS i ORDER BY i
                """);
            await ExecuteAsync(connection, "VACUUM ANALYZE cqrs.events");
        }

        return new NpgsqlEventSource(dataSource, options);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> PlanAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }
}
