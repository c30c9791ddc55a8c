using DataPatterns.Testing;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql.Tests;

public sealed class XaSmokeTests
{
    [Fact]
    public async Task A_prepared_branch_outlives_its_session_and_is_listed_by_xa_recover()
    {
        var gtrid = $"smoke-{Guid.NewGuid():N}";
        await using (var connection = await ServerConnections.OpenMariaDbAsync(TestServers.MariaDbNode2))
        {
            // A read-only branch is rolled back at XA PREPARE (error 1402 on the later XA ROLLBACK), so the branch writes.
            await using var command = new MySqlCommand(
                $"CREATE TABLE IF NOT EXISTS xa_smoke (id VARCHAR(64) PRIMARY KEY); XA START '{gtrid}'; INSERT INTO xa_smoke VALUES ('{gtrid}'); XA END '{gtrid}'; XA PREPARE '{gtrid}';",
                connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var other = await ServerConnections.OpenMariaDbAsync(TestServers.MariaDbNode2);
        await using var recover = new MySqlCommand("XA RECOVER", other);
        var found = false;
        await using (var reader = await recover.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                found |= System.Text.Encoding.ASCII.GetString((byte[])reader.GetValue(3)) == gtrid;
            }
        }

        Assert.True(found);
        await using var rollback = new MySqlCommand($"XA ROLLBACK '{gtrid}'", other);
        await rollback.ExecuteNonQueryAsync();
    }
}
