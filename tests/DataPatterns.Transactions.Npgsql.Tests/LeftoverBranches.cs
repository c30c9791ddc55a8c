using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>Clean-up for tests that prepare branches by hand: a test that failed half-way may leave one prepared.</summary>
internal static class LeftoverBranches
{
    /// <summary>Rolls back every prepared branch in the data source's database, which could not be dropped otherwise.</summary>
    public static async Task RollBackAllAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            DO $$
            DECLARE g text;
            BEGIN
                FOR g IN SELECT gid FROM pg_prepared_xacts WHERE database = current_database() LOOP
                    EXECUTE format('ROLLBACK PREPARED %L', g);
                END LOOP;
            END $$
            """);
        await command.ExecuteNonQueryAsync();
    }
}
