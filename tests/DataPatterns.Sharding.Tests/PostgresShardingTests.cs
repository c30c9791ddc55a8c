using System.Globalization;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Sharding.Tests;

public sealed class PostgresShardingTests(PostgresShardsFixture shards) : IClassFixture<PostgresShardsFixture>
{
    private sealed record OrderRow(long Id, long CustomerId, decimal Total);

    // The map owns the data sources it creates and disposes them with the container, as an application's would.
    private ServiceProvider Services(ShardingStrategy strategy) =>
        new ServiceCollection()
            .AddSharding(s => s.AddShardSet<long>("orders", o =>
            {
                o.Strategy = strategy;
                foreach (var name in PostgresShardsFixture.ShardNames)
                {
                    o.AddShard(name);
                }
            }).MapTo((_, shard) => NpgsqlDataSource.Create(shards.Databases.Single(d => d.Server.Name == shard.Name).ConnectionString)))
            .Services.BuildServiceProvider();

    [Theory]
    [InlineData(ShardingStrategy.VirtualBuckets)]
    [InlineData(ShardingStrategy.JumpHash)]
    public async Task Rows_written_through_the_resolver_land_on_the_server_that_owns_their_key(ShardingStrategy strategy)
    {
        var table = "orders_" + strategy.ToString().ToLowerInvariant();
        await shards.CreateTableAsync(table, "id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric NOT NULL, server_port int NOT NULL");
        await using var provider = Services(strategy);
        var resolver = provider.GetRequiredKeyedService<ShardResolver<long>>("orders");
        var map = provider.GetRequiredKeyedService<ShardMap<NpgsqlDataSource>>("orders");

        for (long customer = 1; customer <= 600; customer++)
        {
            await using var insert = map.For(resolver, customer).CreateCommand(
                $"INSERT INTO {table} VALUES (@id, @customer, @total, inet_server_port())");
            insert.Parameters.AddWithValue("id", customer * 10);
            insert.Parameters.AddWithValue("customer", customer);
            insert.Parameters.AddWithValue("total", customer * 1.5m);
            await insert.ExecuteNonQueryAsync();
        }

        var total = 0;
        foreach (var shard in resolver.Shards)
        {
            var server = shards.Databases.Single(d => d.Server.Name == shard.Name).Server;
            var expectedPort = new NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
            await using var select = map[shard].CreateCommand($"SELECT customer_id, server_port FROM {table}");
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                total++;
                Assert.Equal(shard.Name, resolver.Resolve(reader.GetInt64(0)).Name);
                Assert.Equal(expectedPort, reader.GetInt32(1));
            }
        }

        Assert.Equal(600, total);
    }

    [Fact]
    public async Task Scatter_gather_returns_the_merged_ordered_result_across_servers()
    {
        await shards.CreateTableAsync("sg_orders", "id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric NOT NULL");
        await using var provider = Services(ShardingStrategy.VirtualBuckets);
        var resolver = provider.GetRequiredKeyedService<ShardResolver<long>>("orders");
        var map = provider.GetRequiredKeyedService<ShardMap<NpgsqlDataSource>>("orders");
        var written = new List<OrderRow>();
        for (long id = 1; id <= 900; id++)
        {
            var row = new OrderRow(id, id % 97, (id * 37 % 1000) + 0.25m);
            written.Add(row);
            await using var insert = map.For(resolver, row.CustomerId).CreateCommand("INSERT INTO sg_orders VALUES (@id, @c, @t)");
            insert.Parameters.AddWithValue("id", row.Id);
            insert.Parameters.AddWithValue("c", row.CustomerId);
            insert.Parameters.AddWithValue("t", row.Total);
            await insert.ExecuteNonQueryAsync();
        }

        // Page 3 (rows 40..59) of "largest totals first, then id": each shard returns its first skip + take rows.
        var result = await map.ScatterGatherAsync((dataSource, _, token) => QueryTopAsync(dataSource, 60, token), new ScatterGatherOptions { MaxParallelism = 2 });
        var byTotalDesc = Comparer<OrderRow>.Create((a, b) => b.Total != a.Total ? b.Total.CompareTo(a.Total) : a.Id.CompareTo(b.Id));

        var expected = written.Order(byTotalDesc).Skip(40).Take(20).ToList();
        Assert.Equal(expected, result.MergeOrdered(byTotalDesc, skip: 40, take: 20));
        Assert.Equal(3, result.PerShard.Count);
        Assert.All(result.PerShard, s => Assert.NotEmpty(s.Rows));
    }

    [Fact]
    public async Task A_stopped_shard_yields_a_partial_failure_error_that_names_it()
    {
        await using var doomed = await PrivatePostgres.StartNewAsync("shard-doomed");
        await using var doomedSource = NpgsqlDataSource.Create(doomed.ConnectionString + ";Timeout=3");
        var options = new ShardSetOptions<long>().AddShard("primary").AddShard("node2").AddShard("doomed");
        var resolver = ShardResolverFactory.Create("orders", options);
        var map = new ShardMap<NpgsqlDataSource>("orders", resolver.Shards, shard => shard.Name == "doomed" ? doomedSource : shards.DataSources[shard.Name]);

        await doomed.StopAsync();

        var error = await Assert.ThrowsAsync<ShardQueryException>(() =>
            map.ScatterGatherAsync((dataSource, _, token) => QueryPortAsync(dataSource, token)));
        Assert.Equal("doomed", Assert.Single(error.Failures).Shard.Name);
        Assert.Contains("'doomed'", error.Message, StringComparison.Ordinal);

        var partial = await map.ScatterGatherAsync((dataSource, _, token) => QueryPortAsync(dataSource, token), new ScatterGatherOptions { AllowPartialResults = true });
        Assert.True(partial.IsPartial);
        Assert.Equal(["node2", "primary"], partial.PerShard.Select(s => s.Shard.Name).Order());
    }

    [Fact]
    public async Task The_resharding_helper_moves_exactly_the_planned_rows_with_none_lost_or_doubled()
    {
        const int BucketCount = 256;
        await shards.CreateTableAsync("reshard_items", "id bigint PRIMARY KEY, bucket int NOT NULL, payload text NOT NULL");
        var two = new ShardSetOptions<long> { BucketCount = BucketCount }.AddShard("primary").AddShard("node2");
        var three = new ShardSetOptions<long> { BucketCount = BucketCount }.AddShard("primary").AddShard("node2").AddShard("node3");
        var before = (BucketShardResolver<long>)ShardResolverFactory.Create("items", two);
        var after = (BucketShardResolver<long>)ShardResolverFactory.Create("items", three);

        var rows = Enumerable.Range(1, 5_000).Select(i => (Id: (long)i * 7, Payload: $"item-{i}-ü")).ToList();
        foreach (var group in rows.GroupBy(r => before.Resolve(r.Id).Name))
        {
            await using var connection = await shards.DataSources[group.Key].OpenConnectionAsync();
            await using var importer = await connection.BeginBinaryImportAsync("COPY reshard_items (id, bucket, payload) FROM STDIN (FORMAT BINARY)");
            foreach (var row in group)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(row.Id);
                await importer.WriteAsync(before.BucketOf(row.Id));
                await importer.WriteAsync(row.Payload);
            }

            await importer.CompleteAsync();
        }

        var plan = ReshardingPlan.Create(before.Buckets, after.Buckets);
        var planned = rows.Where(r => before.Resolve(r.Id).Name != after.Resolve(r.Id).Name).ToList();
        Assert.All(plan.Moves, m => Assert.Equal("node3", m.To.Name));

        var mover = new BucketMover(shard => shards.DataSources[shard.Name]) { BatchSize = 300 };
        var table = new BucketTable("reshard_items", "bucket", ["id", "bucket", "payload"]);
        var reports = new List<ReshardingProgress>();
        var copied = await mover.CopyAsync(plan, table, new SynchronousProgress(reports.Add));
        // Copying again after a crash must not double anything: the destination's copy of the moving buckets is replaced.
        var copiedAgain = await mover.CopyAsync(plan, table);
        var deleted = await mover.DeleteMovedRowsAsync(plan, table);

        Assert.Equal(planned.Count, copied);
        Assert.Equal(planned.Count, copiedAgain);
        Assert.Equal(planned.Count, deleted);
        Assert.Equal(planned.Count, reports[^1].RowsCopied);
        Assert.Equal(1.0, reports[^1].Fraction);

        var found = new List<(long Id, string Payload, string Shard)>();
        foreach (var (name, dataSource) in shards.DataSources)
        {
            await using var select = dataSource.CreateCommand("SELECT id, payload FROM reshard_items");
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add((reader.GetInt64(0), reader.GetString(1), name));
            }
        }

        Assert.Equal(rows.Count, found.Count);
        Assert.Equal(rows.Select(r => (r.Id, r.Payload)).Order(), found.Select(f => (f.Id, f.Payload)).Order());
        Assert.All(found, f => Assert.Equal(after.Resolve(f.Id).Name, f.Shard));
    }

    [Fact]
    public async Task A_directory_loaded_from_a_PostgreSQL_table_routes_tenants_and_follows_updates()
    {
        var dataSource = shards.DataSources["primary"];
        await using (var setup = dataSource.CreateCommand(
            "DROP TABLE IF EXISTS tenant_shards; CREATE TABLE tenant_shards (tenant text PRIMARY KEY, shard text NOT NULL); INSERT INTO tenant_shards VALUES ('acme', 'node2'), ('globex', 'node3')"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var options = new ShardSetOptions<string> { Strategy = ShardingStrategy.Directory }.AddShard("primary").AddShard("node2").AddShard("node3");
        var source = new DbShardDirectorySource<string>(dataSource, "SELECT tenant, shard FROM tenant_shards");
        var resolver = (DirectoryShardResolver<string>)ShardResolverFactory.Create("tenants", options, source);
        await resolver.RefreshAsync();
        Assert.Equal("node2", resolver.Resolve("acme").Name);

        await using (var move = dataSource.CreateCommand("UPDATE tenant_shards SET shard = 'primary' WHERE tenant = 'acme'"))
        {
            await move.ExecuteNonQueryAsync();
        }

        await resolver.RefreshAsync();
        Assert.Equal("primary", resolver.Resolve("acme").Name);
        Assert.Equal("node3", resolver.Resolve("globex").Name);
    }

    private static async Task<IReadOnlyList<OrderRow>> QueryTopAsync(NpgsqlDataSource dataSource, int limit, CancellationToken token)
    {
        await using var command = dataSource.CreateCommand("SELECT id, customer_id, total FROM sg_orders ORDER BY total DESC, id LIMIT " + limit.ToString(CultureInfo.InvariantCulture));
        await using var reader = await command.ExecuteReaderAsync(token);
        var rows = new List<OrderRow>();
        while (await reader.ReadAsync(token))
        {
            rows.Add(new OrderRow(reader.GetInt64(0), reader.GetInt64(1), reader.GetDecimal(2)));
        }

        return rows;
    }

    private static async Task<IReadOnlyList<int>> QueryPortAsync(NpgsqlDataSource dataSource, CancellationToken token)
    {
        await using var command = dataSource.CreateCommand("SELECT inet_server_port()");
        return [(int)(await command.ExecuteScalarAsync(token))!];
    }

    private sealed class SynchronousProgress(Action<ReshardingProgress> report) : IProgress<ReshardingProgress>
    {
        public void Report(ReshardingProgress value) => report(value);
    }
}
