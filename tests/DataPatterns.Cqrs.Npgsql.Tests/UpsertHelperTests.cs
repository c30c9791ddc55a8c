using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

public sealed class UpsertHelperTests
{
    [Fact]
    public async Task Upserts_merge_per_key_keep_their_order_with_other_commands_and_split_large_batches()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_upsert");
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var setup = new NpgsqlCommand("""
            CREATE SCHEMA p_g1;
            CREATE TABLE p_g1.latest (id text PRIMARY KEY, v bigint NOT NULL);
            CREATE TABLE p_g1.totals (id text PRIMARY KEY, n bigint NOT NULL, c int NOT NULL);
            CREATE TABLE p_g1.log (line int PRIMARY KEY, total bigint);
            """, connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var context = new NpgsqlProjectionContext(connection, transaction, "p", 1);
            context.Upsert("latest", 1, ["id", "v"], "a", 1L);
            context.Upsert("latest", 1, ["id", "v"], "a", 2L);
            context.UpsertAdd("totals", 1, ["id", "n", "c"], "a", 5L, 1);
            context.UpsertAdd("totals", 1, ["id", "n", "c"], "a", 7L, 1);

            // A command queued after the upserts sees them.
            context.Execute($"INSERT INTO {context.Table("log")} (line, total) SELECT 1, n FROM {context.Table("totals")} WHERE id = $1", "a");
            context.UpsertAdd("totals", 1, ["id", "n", "c"], "a", 100L, 1);
            for (var i = 0; i < 20_000; i++)
            {
                context.Upsert("latest", 1, ["id", "v"], "k" + i, (long)i);
            }

            await context.FlushAsync();
            await transaction.CommitAsync();
        }

        Assert.Equal(2L, await ScalarAsync(connection, "SELECT v FROM p_g1.latest WHERE id = 'a'"));
        Assert.Equal(112L, await ScalarAsync(connection, "SELECT n FROM p_g1.totals WHERE id = 'a'"));
        Assert.Equal(3L, await ScalarAsync(connection, "SELECT c::bigint FROM p_g1.totals WHERE id = 'a'"));
        Assert.Equal(12L, await ScalarAsync(connection, "SELECT total FROM p_g1.log WHERE line = 1"));
        Assert.Equal(20_001L, await ScalarAsync(connection, "SELECT count(*) FROM p_g1.latest"));
        Assert.Equal(19_999L, await ScalarAsync(connection, "SELECT v FROM p_g1.latest WHERE id = 'k19999'"));
    }

    [Fact]
    public void UpsertAdd_with_a_non_numeric_column_says_what_to_use()
    {
        var context = new NpgsqlProjectionContext(null!, null!, "p", 1);
        context.UpsertAdd("totals", 1, ["id", "n"], "a", "x");
        var error = Assert.Throws<ArgumentException>(() => context.UpsertAdd("totals", 1, ["id", "n"], "a", "y"));
        Assert.Contains("Use the same numeric type", error.Message, StringComparison.Ordinal);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
