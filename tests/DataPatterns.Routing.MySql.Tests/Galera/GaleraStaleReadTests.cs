using System.Globalization;
using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;
using MySqlConnector;
using Xunit.Abstractions;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>How often a read on another node misses a write that just committed, plain and causal (the figure in docs/mariadb-galera.md).</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraStaleReadTests(ITestOutputHelper output)
{
    private const int Rounds = 500;

    [Fact]
    public async Task A_causal_read_on_another_node_never_misses_a_write_just_committed()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("stale");
        await using var writer = await GaleraTestCluster.OpenUnpooledAsync(TestServers.Galera[0]);
        await using var plainReader = await GaleraTestCluster.OpenUnpooledAsync(TestServers.Galera[1]);
        await using var causalReader = await GaleraTestCluster.OpenUnpooledAsync(TestServers.Galera[2]);
        int plainMisses = 0, causalMisses = 0;
        for (var i = 1; i <= Rounds; i++)
        {
            await ExecuteAsync(writer, $"UPDATE `{cluster.Table}` SET v = {i.ToString(CultureInfo.InvariantCulture)} WHERE id = 1");
            plainMisses += await ValueAsync(plainReader, cluster.Table) == i ? 0 : 1;
            await GaleraCausalReads.SyncAsync(causalReader);
            causalMisses += await ValueAsync(causalReader, cluster.Table) == i ? 0 : 1;
        }

        output.WriteLine($"Of {Rounds} reads on another node right after a commit: plain missed {plainMisses}, causal missed {causalMisses}.");
        Assert.Equal(0, causalMisses);
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ValueAsync(MySqlConnection connection, string table)
    {
        await using var command = new MySqlCommand($"SELECT v FROM `{table}` WHERE id = 1", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
