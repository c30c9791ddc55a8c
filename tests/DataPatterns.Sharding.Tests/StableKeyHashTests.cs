using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Sharding.Tests;

public sealed class StableKeyHashTests
{
    // Pinned values: if one of these changes, every deployed shard set would move its data. Never update them to make a test pass.
    [Fact]
    public void The_hashes_of_known_keys_never_change()
    {
        Assert.Equal(GoldenHash.Long42, StableKeyHash.Hash(42L));
        Assert.Equal(GoldenHash.StringTenant, StableKeyHash.Hash("tenant-1"));
        Assert.Equal(GoldenHash.GuidKnown, StableKeyHash.Hash(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")));
        Assert.Equal(GoldenHash.JumpOf42Over16, JumpHashAlgorithm.Jump(StableKeyHash.Hash(42L), 16));
    }

    [Property]
    public bool An_int_key_hashes_like_the_same_long(int key) => StableKeyHash.Hash(key) == StableKeyHash.Hash((long)key);

    [Property]
    public bool A_string_hashes_by_its_UTF8_bytes(NonNull<string> key) =>
        StableKeyHash.Hash(key.Get) == StableKeyHash.Hash(System.Text.Encoding.UTF8.GetBytes(key.Get).AsSpan());

    [Fact]
    public void Long_strings_hash_by_their_UTF8_bytes_too()
    {
        var key = string.Concat(Enumerable.Repeat("ключ-", 200));
        Assert.Equal(StableKeyHash.Hash(System.Text.Encoding.UTF8.GetBytes(key).AsSpan()), StableKeyHash.Hash(key));
    }

    [Fact]
    public void A_guid_hashes_by_its_bytes_in_the_order_its_text_reads()
    {
        var guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        byte[] bytes = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        Assert.Equal(StableKeyHash.Hash(bytes.AsSpan()), StableKeyHash.Hash(guid));
    }

    [Fact]
    public void Composite_keys_keep_their_parts_apart()
    {
        var hasher = ShardKeyHasher<(string, string)>.Default!;
        Assert.NotEqual(hasher.Hash(("a", "bc")), hasher.Hash(("ab", "c")));
        Assert.Equal(hasher.Hash(("a", "bc")), hasher.Hash(("a", "bc")));
    }

    [Fact]
    public void A_null_string_key_is_refused_with_a_reason()
    {
        var resolver = ShardResolverFactory.Create("nulls", new ShardSetOptions<string>().AddShard("a").AddShard("b"));
        var error = Assert.Throws<ArgumentNullException>(() => resolver.Resolve(null!));
        Assert.Contains("exactly one shard", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_type_without_a_stable_encoding_is_refused_with_the_fix()
    {
        var options = new ShardSetOptions<DateTime> { Strategy = ShardingStrategy.JumpHash }.AddShard("a");
        var error = Assert.Throws<ArgumentException>(() => ShardResolverFactory.Create("dates", options));
        Assert.Contains("KeyHasher", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_hasher_makes_any_key_type_shardable()
    {
        var options = new ShardSetOptions<DateTime> { Strategy = ShardingStrategy.JumpHash, KeyHasher = new DayHasher() }.AddShard("a").AddShard("b").AddShard("c");
        var resolver = ShardResolverFactory.Create("days", options);
        var morning = new DateTime(2026, 11, 25, 8, 0, 0, DateTimeKind.Utc);
        Assert.Same(resolver.Resolve(morning), resolver.Resolve(morning.AddHours(10)));
    }

    private sealed class DayHasher : IShardKeyHasher<DateTime>
    {
        public ulong Hash(DateTime key) => StableKeyHash.Hash(key.Date.Ticks);
    }
}
