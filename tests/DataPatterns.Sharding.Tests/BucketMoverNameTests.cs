using Npgsql;

namespace DataPatterns.Sharding.Tests;

/// <summary>Names from configuration reach the mover's SQL only quoted (or refused): reserved words, mixed case, spaces and injection attempts.</summary>
public sealed class BucketMoverNameTests(PostgresShardsFixture shards) : IClassFixture<PostgresShardsFixture>
{
    private const int BucketCount = 64;
    private static readonly BucketShardResolver<long> Before = Resolver(["primary"]);
    private static readonly BucketShardResolver<long> After = Resolver(["primary", "node2"]);

    [Fact]
    public async Task A_table_named_order_with_a_mixed_case_bucket_column_and_a_column_with_a_space_moves_between_two_servers()
    {
        await CreateEverywhereAsync("""DROP TABLE IF EXISTS "order"; CREATE TABLE "order" (id bigint PRIMARY KEY, "BucketId" int NOT NULL, "line item" text NOT NULL)""");
        var rows = await SeedAsync("\"order\"", "\"BucketId\"", "\"line item\"", 400);
        var table = new BucketTable("order", "BucketId", ["id", "BucketId", "line item"]);

        var (copied, deleted) = await MoveAsync(new BucketMover(shard => shards.DataSources[shard.Name]), table);

        var planned = rows.Count(id => After.Resolve(id).Name == "node2");
        Assert.True(planned > 0);
        Assert.Equal(planned, copied);
        Assert.Equal(planned, deleted);
        await AssertEachRowOnItsNewShardAsync("\"order\"", rows);
    }

    [Fact]
    public async Task A_schema_qualified_table_moves_only_the_table_in_that_schema()
    {
        await CreateEverywhereAsync("""
            DROP SCHEMA IF EXISTS "Sales Data" CASCADE; CREATE SCHEMA "Sales Data";
            CREATE TABLE "Sales Data"."order" (id bigint PRIMARY KEY, bucket int NOT NULL, note text NOT NULL);
            DROP TABLE IF EXISTS public."order"; CREATE TABLE public."order" (id bigint PRIMARY KEY, "BucketId" int NOT NULL, "line item" text NOT NULL);
            """);
        var rows = await SeedAsync("\"Sales Data\".\"order\"", "bucket", "note", 300);
        var bystanders = await SeedAsync("public.\"order\"", "\"BucketId\"", "\"line item\"", 50);
        var table = new BucketTable("order", "bucket", ["id", "bucket", "note"]) { Schema = "Sales Data" };

        var (copied, _) = await MoveAsync(new BucketMover(shard => shards.DataSources[shard.Name]), table);

        Assert.Equal(rows.Count(id => After.Resolve(id).Name == "node2"), copied);
        await AssertEachRowOnItsNewShardAsync("\"Sales Data\".\"order\"", rows);
        Assert.Equal(bystanders.Count, await CountAsync("primary", "public.\"order\""));
        Assert.Equal(0, await CountAsync("node2", "public.\"order\""));
    }

    [Fact]
    public async Task A_table_and_column_named_with_an_injection_attempt_are_quoted_as_names_and_the_target_table_survives()
    {
        await CreateEverywhereAsync("""
            DROP TABLE IF EXISTS victim; CREATE TABLE victim (id int); INSERT INTO victim VALUES (1), (2);
            DROP TABLE IF EXISTS "x; DROP TABLE victim; --";
            CREATE TABLE "x; DROP TABLE victim; --" (id bigint PRIMARY KEY, "b) OR 1=1; DROP TABLE victim; --" int NOT NULL, v text NOT NULL);
            """);
        var rows = await SeedAsync("\"x; DROP TABLE victim; --\"", "\"b) OR 1=1; DROP TABLE victim; --\"", "v", 200);
        var table = new BucketTable("x; DROP TABLE victim; --", "b) OR 1=1; DROP TABLE victim; --", ["id", "b) OR 1=1; DROP TABLE victim; --", "v"]);

        var (copied, deleted) = await MoveAsync(new BucketMover(shard => shards.DataSources[shard.Name]), table);

        Assert.Equal(rows.Count(id => After.Resolve(id).Name == "node2"), copied);
        Assert.Equal(copied, deleted);
        await AssertEachRowOnItsNewShardAsync("\"x; DROP TABLE victim; --\"", rows);
        Assert.Equal(2, await CountAsync("primary", "victim"));
        Assert.Equal(2, await CountAsync("node2", "victim"));
    }

    [Fact]
    public async Task With_quoting_off_a_name_carrying_an_injection_attempt_is_refused_naming_it_and_nothing_runs()
    {
        await CreateEverywhereAsync("DROP TABLE IF EXISTS victim2; CREATE TABLE victim2 (id int); INSERT INTO victim2 VALUES (1)");
        var mover = new BucketMover(shard => shards.DataSources[shard.Name]) { IdentifierQuoting = SqlIdentifierQuoting.PlainIdentifiersOnly };
        var table = new BucketTable("x; DROP TABLE victim2", "bucket", ["id", "bucket"]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => MoveAsync(mover, table));

        Assert.Contains("'x; DROP TABLE victim2'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BucketTable.Name", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a plain identifier", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync("primary", "victim2"));
        Assert.Equal(1, await CountAsync("node2", "victim2"));
    }

    [Theory]
    [InlineData("sales.orders", "Schema = \"sales\"")]
    [InlineData("\"orders\"", "give it bare ('orders')")]
    [InlineData("`orders`", "give it bare ('orders')")]
    public async Task A_dotted_or_already_quoted_table_name_is_refused_with_the_fix(string name, string fix)
    {
        var mover = new BucketMover(_ => throw new InvalidOperationException("no connection should be opened for a refused name"));
        var table = new BucketTable(name, "bucket", ["id", "bucket"]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => mover.CopyAsync(ReshardingPlan.Create(Before.Buckets, After.Buckets), table));

        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bucket_column_that_is_not_among_the_columns_is_refused_naming_both()
    {
        var mover = new BucketMover(_ => throw new InvalidOperationException("no connection should be opened"));
        var table = new BucketTable("orders", "BucketId", ["id", "bucketid"]);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => mover.DeleteMovedRowsAsync(ReshardingPlan.Create(Before.Buckets, After.Buckets), table));

        Assert.Contains("'BucketId'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
    }

    private static BucketShardResolver<long> Resolver(string[] names)
    {
        var options = new ShardSetOptions<long> { BucketCount = BucketCount };
        foreach (var name in names)
        {
            options.AddShard(name);
        }

        return (BucketShardResolver<long>)ShardResolverFactory.Create("named", options);
    }

    private static async Task<(long Copied, long Deleted)> MoveAsync(BucketMover mover, BucketTable table)
    {
        var plan = ReshardingPlan.Create(Before.Buckets, After.Buckets);
        Assert.All(plan.Moves, m => Assert.Equal(("primary", "node2"), (m.From.Name, m.To.Name)));
        var copied = await mover.CopyAsync(plan, table);
        var deleted = await mover.DeleteMovedRowsAsync(plan, table);
        return (copied, deleted);
    }

    private async Task CreateEverywhereAsync(string sql)
    {
        foreach (var dataSource in shards.DataSources.Values)
        {
            await using var command = dataSource.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Writes rows to the only shard of the old topology; the SQL names are quoted by the test itself.</summary>
    private async Task<List<long>> SeedAsync(string quotedTable, string quotedBucket, string quotedText, int count)
    {
        var ids = Enumerable.Range(1, count).Select(i => (long)i * 13).ToList();
        await using var insert = shards.DataSources["primary"].CreateCommand(
            $"INSERT INTO {quotedTable} (id, {quotedBucket}, {quotedText}) SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[])");
        insert.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = ids.Select(Before.BucketOf).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = ids.Select(id => $"row {id}").ToArray() });
        await insert.ExecuteNonQueryAsync();
        return ids;
    }

    private async Task AssertEachRowOnItsNewShardAsync(string quotedTable, List<long> ids)
    {
        var found = new List<(long Id, string Shard)>();
        foreach (var name in new[] { "primary", "node2" })
        {
            await using var select = shards.DataSources[name].CreateCommand($"SELECT id FROM {quotedTable}");
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add((reader.GetInt64(0), name));
            }
        }

        Assert.Equal(ids.Order(), found.Select(f => f.Id).Order());
        Assert.All(found, f => Assert.Equal(After.Resolve(f.Id).Name, f.Shard));
    }

    private async Task<long> CountAsync(string shard, string quotedTable)
    {
        await using var command = shards.DataSources[shard].CreateCommand($"SELECT count(*) FROM {quotedTable}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
