using DataPatterns.Sharding;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DataPatterns.Samples.Quickstart;

/// <summary>Orders sharded by customer over two MariaDB servers: the sharding core needs nothing MariaDB-specific.</summary>
internal static class MariaDbShardingQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var servers = new Dictionary<string, string>
        {
            ["orders-1"] = Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_PRIMARY") ?? "Server=127.0.0.1;Port=53306;User ID=root;Database=datapatterns",
            ["orders-2"] = Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_NODE2") ?? "Server=127.0.0.1;Port=53308;User ID=root;Database=datapatterns",
        };
        await using var services = new ServiceCollection().AddSharding(s => s
            .AddShardSet<long>("orders", o => o.AddShard("orders-1").AddShard("orders-2"))
            .MapTo((_, shard) => new MySqlDataSource(servers[shard.Name]))).Services.BuildServiceProvider();
        var resolver = services.GetRequiredService<ShardSets>().Buckets<long>("orders");
        var shards = services.GetRequiredKeyedService<ShardMap<MySqlDataSource>>("orders");
        foreach (var shard in resolver.Shards)
        {
            await using var create = shards[shard].CreateCommand("DROP TABLE IF EXISTS quickstart_orders; CREATE TABLE quickstart_orders (id BIGINT PRIMARY KEY, bucket INT NOT NULL, customer BIGINT NOT NULL) ENGINE = InnoDB");
            await create.ExecuteNonQueryAsync();
        }

        // One round trip per shard: the rows are grouped by the shard that owns their customer.
        foreach (var group in Enumerable.Range(1, 5_000).Select(id => (Id: id, Customer: id % 1_000L)).GroupBy(o => resolver.Resolve(o.Customer)))
        {
            await using var batch = shards[group.Key].CreateBatch();
            foreach (var (id, customer) in group)
            {
                batch.BatchCommands.Add(new MySqlBatchCommand($"INSERT INTO quickstart_orders VALUES ({id}, {resolver.BucketOf(customer)}, {customer})"));
            }

            await batch.ExecuteNonQueryAsync();
        }

        // Every customer's orders are on the one shard the resolver names, in every process (the hash is fixed).
        var total = 0L;
        foreach (var shard in resolver.Shards)
        {
            await using var count = shards[shard].CreateCommand("SELECT COUNT(*) FROM quickstart_orders");
            var rows = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            Console.WriteLine($"{shard.Name}: {rows} orders");
            total += rows;
        }

        await using var lookup = shards[resolver.Resolve(777)].CreateCommand("SELECT COUNT(*) FROM quickstart_orders WHERE customer = 777");
        var customer777 = Convert.ToInt64(await lookup.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"{total} orders in all; customer 777 has {customer777} on {resolver.Resolve(777).Name}");
        return total == 5_000 && customer777 == 5 ? 0 : 1;
    }
}
