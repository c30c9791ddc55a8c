using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>Clean-up for tests that prepare branches by hand: a test that failed half-way may leave one prepared.</summary>
internal static class LeftoverBranches
{
    /// <summary>Rolls back every prepared branch in the data source's database, which could not be dropped otherwise.</summary>
    public static async Task RollBackAllAsync(NpgsqlDataSource dataSource)
    {
        // One statement per branch, from here: PL/pgSQL cannot run ROLLBACK PREPARED.
        var gids = new List<string>();
        await using (var list = dataSource.CreateCommand("SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                gids.Add(reader.GetString(0));
            }
        }

        foreach (var gid in gids)
        {
            await using var rollback = dataSource.CreateCommand($"ROLLBACK PREPARED '{gid.Replace("'", "''", StringComparison.Ordinal)}'");
            await rollback.ExecuteNonQueryAsync();
        }
    }
}
