using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Sharding.Tests;

public sealed class OptionsValidationTests
{
    private static string Problems<TKey>(ShardSetOptions<TKey> options) =>
        new ShardSetOptionsValidator<TKey>().Validate("orders", options).FailureMessage ?? string.Empty;

    [Fact]
    public void An_empty_shard_list_is_refused()
    {
        Assert.Contains("Shard set 'orders' has no shards; add at least one", Problems(new ShardSetOptions<long>()), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_shard_names_are_refused()
    {
        var message = Problems(new ShardSetOptions<long>().AddShard("a").AddShard("b").AddShard("a"));
        Assert.Contains("lists shard 'a' 2 times; shard names must be unique", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-16)]
    public void A_bucket_count_that_is_not_positive_is_refused(int bucketCount)
    {
        var message = Problems(new ShardSetOptions<long> { BucketCount = bucketCount }.AddShard("a"));
        Assert.Contains($"BucketCount is {bucketCount}; it must be a positive number", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fewer_buckets_than_shards_is_refused()
    {
        var message = Problems(new ShardSetOptions<long> { BucketCount = 2 }.AddShard("a").AddShard("b").AddShard("c"));
        Assert.Contains("every shard needs at least one bucket", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_ranges_are_refused_with_the_fix()
    {
        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range }.AddShard("a").AddShard("b");
        options.Ranges.Add(ShardRange<long>.Between("a", 0, 100));
        options.Ranges.Add(ShardRange<long>.Between("b", 50, 200));
        Assert.Contains("ranges [0, 100) → a and [50, 200) → b overlap; make each range start where the previous one ends", Problems(options), StringComparison.Ordinal);
    }

    [Fact]
    public void Gapped_ranges_are_refused_with_the_keys_that_would_have_no_shard()
    {
        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range }.AddShard("a").AddShard("b");
        options.Ranges.Add(ShardRange<long>.Between("a", 0, 100));
        options.Ranges.Add(ShardRange<long>.StartingAt("b", 150));
        Assert.Contains("gap between [0, 100) → a and [150, ∞) → b; keys from 100 to 150 would have no shard", Problems(options), StringComparison.Ordinal);
    }

    [Fact]
    public void An_open_ended_range_before_another_is_refused()
    {
        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range }.AddShard("a").AddShard("b");
        options.Ranges.Add(ShardRange<long>.StartingAt("a", 0));
        options.Ranges.Add(ShardRange<long>.Between("b", 10, 20));
        Assert.Contains("only the last range may be open-ended", Problems(options), StringComparison.Ordinal);
    }

    [Fact]
    public void A_range_on_an_unknown_shard_and_an_empty_range_are_refused()
    {
        var options = new ShardSetOptions<long> { Strategy = ShardingStrategy.Range }.AddShard("a");
        options.Ranges.Add(ShardRange<long>.Between("a", 10, 10));
        options.Ranges.Add(ShardRange<long>.Between("zz", 10, 20));
        var message = Problems(options);
        Assert.Contains("names shard 'zz', which is not in the shard list", message, StringComparison.Ordinal);
        Assert.Contains("is empty; 'To' must be greater than 'From'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_are_refused_for_jump_hash_and_must_be_positive()
    {
        Assert.Contains("JumpHash cannot weight shards", Problems(new ShardSetOptions<long> { Strategy = ShardingStrategy.JumpHash }.AddShard("a", 2)), StringComparison.Ordinal);
        Assert.Contains("has weight -1; weights must be positive", Problems(new ShardSetOptions<long>().AddShard("a", -1)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bucket_assignment_out_of_range_or_to_an_unknown_shard_is_refused()
    {
        var options = new ShardSetOptions<long> { BucketCount = 8 }.AddShard("a");
        options.BucketAssignments[8] = "a";
        options.BucketAssignments[1] = "nope";
        var message = Problems(options);
        Assert.Contains("names bucket 8, but buckets are numbered 0 to 7", message, StringComparison.Ordinal);
        Assert.Contains("puts bucket 1 on 'nope', which is not in the shard list", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_an_invalid_shard_set_fails_at_start_and_says_why()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a").AddShard("a")));
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("lists shard 'a' 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_shard_sets_with_one_name_are_refused_at_registration()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<InvalidOperationException>(() => services.AddSharding(s =>
        {
            s.AddShardSet<long>("orders", o => o.AddShard("a"));
            s.AddShardSet<Guid>("orders", o => o.AddShard("a"));
        }));
        Assert.Contains("already registered", error.Message, StringComparison.Ordinal);
    }
}
