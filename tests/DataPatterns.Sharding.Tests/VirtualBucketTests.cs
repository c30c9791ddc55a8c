using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Sharding.Tests;

public sealed class VirtualBucketTests
{
    private static Shard[] Shards(int count) =>
        ShardResolverFactory.Create("s", Keys.Options(ShardingStrategy.JumpHash, count)).Shards.ToArray();

    [Property(MaxTest = 30)]
    public Property Every_shard_holds_its_share_of_buckets_within_one(PositiveInt shardsRaw, PositiveInt bucketsRaw)
    {
        var shardCount = shardsRaw.Get % 40 + 1;
        var bucketCount = shardCount + bucketsRaw.Get % 4096;
        var map = VirtualBucketMap.Create(Shards(shardCount), bucketCount);
        var counts = map.Shards.Select(s => map.BucketsOf(s).Count).ToArray();
        return (counts.Max() - counts.Min() <= 1 && counts.Sum() == bucketCount)
            .Label($"{shardCount} shards over {bucketCount} buckets: {string.Join(",", counts)}");
    }

    [Property(MaxTest = 30)]
    public Property Appending_a_shard_plans_a_move_of_its_share_only_to_it(PositiveInt shardsRaw)
    {
        var n = shardsRaw.Get % 30 + 1;
        var current = VirtualBucketMap.Create(Shards(n), 1024);
        var next = VirtualBucketMap.Create(Shards(n + 1), 1024);
        var plan = ReshardingPlan.Create(current, next);
        var share = 1024 / (n + 1);
        return (plan.Moves.All(m => m.To.Name == $"s{n}") && plan.MovedBucketCount >= share && plan.MovedBucketCount <= share + 1)
            .Label(plan.ToString());
    }

    [Fact]
    public void Explicit_assignments_override_the_default_table_and_the_plan_lists_exactly_them()
    {
        var shards = Shards(3);
        var current = VirtualBucketMap.Create(shards, 64);
        var pinned = new Dictionary<int, string> { [0] = "s2", [1] = "s2", [63] = "s0" };
        var next = VirtualBucketMap.Create(shards, 64, pinned);

        var plan = ReshardingPlan.Create(current, next);
        var moved = plan.Moves.SelectMany(m => m.Buckets.Select(b => (b, m.To.Name))).OrderBy(x => x.b).ToList();
        var expected = pinned.Where(p => current.OwnerOf(p.Key).Name != p.Value).Select(p => (p.Key, p.Value)).OrderBy(x => x.Key).ToList();
        Assert.Equal(expected, moved);
    }

    [Fact]
    public void Changing_the_bucket_count_is_refused_because_every_row_would_move()
    {
        var error = Assert.Throws<ArgumentException>(() => ReshardingPlan.Create(VirtualBucketMap.Create(Shards(2), 64), VirtualBucketMap.Create(Shards(2), 128)));
        Assert.Contains("Keep the bucket count", error.Message, StringComparison.Ordinal);
    }

    [Property]
    public bool A_keys_bucket_depends_only_on_its_hash_and_the_bucket_count(long key)
    {
        var small = (BucketShardResolver<long>)ShardResolverFactory.Create("a", new ShardSetOptions<long> { BucketCount = 256 }.AddShard("x"));
        var large = (BucketShardResolver<long>)ShardResolverFactory.Create("b", new ShardSetOptions<long> { BucketCount = 256 }.AddShard("x").AddShard("y").AddShard("z"));
        var bucket = small.BucketOf(key);
        return bucket == large.BucketOf(key) && bucket is >= 0 and < 256 && large.Resolve(key) == large.Buckets.OwnerOf(bucket);
    }
}
