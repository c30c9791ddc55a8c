using DataPatterns.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

/// <summary>Orders sharded by customer over two PostgreSQL servers, then resharded onto a third with a progress bar.</summary>
internal static class ShardingQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var servers = new Dictionary<string, string>
        {
            ["orders-1"] = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres",
            ["orders-2"] = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_NODE2") ?? "Host=127.0.0.1;Port=55434;Username=postgres",
            ["orders-3"] = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_NODE3") ?? "Host=127.0.0.1;Port=55435;Username=postgres",
        };
        var services = new ServiceCollection().AddSharding(s => s
            .AddShardSet<long>("orders", o => o.AddShard("orders-1").AddShard("orders-2"))
            .MapTo((_, shard) => NpgsqlDataSource.Create(servers[shard.Name]))).Services.BuildServiceProvider();
        var resolver = services.GetRequiredService<ShardSets>().Buckets<long>("orders");
        var shards = services.GetRequiredKeyedService<ShardMap<NpgsqlDataSource>>("orders");
        await using var third = NpgsqlDataSource.Create(servers["orders-3"]);

        foreach (var dataSource in new[] { shards[resolver.Shards[0]], shards[resolver.Shards[1]], third })
        {
            await using var create = dataSource.CreateCommand("DROP TABLE IF EXISTS quickstart_orders; CREATE TABLE quickstart_orders (id bigint PRIMARY KEY, bucket int NOT NULL, customer bigint NOT NULL)");
            await create.ExecuteNonQueryAsync();
        }

        // One round trip per shard: the rows are grouped by the shard that owns their customer.
        foreach (var group in Enumerable.Range(1, 5_000).Select(id => (Id: id, Customer: id % 1_000L)).GroupBy(o => resolver.Resolve(o.Customer)))
        {
            await using var batch = shards[group.Key].CreateBatch();
            foreach (var (id, customer) in group)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO quickstart_orders VALUES ({id}, {resolver.BucketOf(customer)}, {customer})"));
            }

            await batch.ExecuteNonQueryAsync();
        }

        // Add a third shard: the plan lists the buckets that move, all to the new shard.
        var next = ShardResolverFactory.CreateBuckets("orders", new ShardSetOptions<long>().AddShard("orders-1").AddShard("orders-2").AddShard("orders-3"));
        var plan = ReshardingPlan.Create(resolver.Buckets, next.Buckets);
        Console.WriteLine(plan);

        var mover = new BucketMover(shard => shard.Name == "orders-3" ? third : shards[resolver.GetShard(shard.Name)]);
        var table = new BucketTable("quickstart_orders", "bucket", ["id", "bucket", "customer"]);
        var bar = new Progress<ReshardingProgress>(p => Console.Write($"\r[{new string('#', (int)(p.Fraction * 40)),-40}] {p.RowsCopied}/{p.TotalRows} rows"));
        var copied = await mover.CopyAsync(plan, table, bar);
        var deleted = await mover.DeleteMovedRowsAsync(plan, table);
        Console.WriteLine($"\nCopied {copied} rows to orders-3 and deleted {deleted} from their old shards.");
        return copied == deleted ? 0 : 1;
    }
}
