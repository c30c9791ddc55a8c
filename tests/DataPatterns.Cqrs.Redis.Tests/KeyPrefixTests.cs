using DataPatterns.Cqrs.Redis;
using DataPatterns.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Cqrs.Redis.Tests;

/// <summary>
/// A key prefix with glob characters would widen the pattern that deletes a retired generation (<c>{prefix…}:gN:*</c>)
/// to other applications' keys, and braces would split a projection's hash slot: such prefixes are refused up front.
/// </summary>
public class KeyPrefixTests
{
    [Theory]
    [InlineData("cq*:")]
    [InlineData("cq?:")]
    [InlineData("cq[ab]:")]
    [InlineData("cq]:")]
    [InlineData("{cq}:")]
    [InlineData("cq\\*:")]
    [InlineData("cq rs:")]
    public void A_prefix_with_glob_characters_or_braces_is_refused_at_start_naming_the_option(string prefix)
    {
        var services = new ServiceCollection();
        services.AddCqrs(_ => { }).UseRedisReadModels(o =>
        {
            o.Configuration = "127.0.0.1:1";
            o.KeyPrefix = prefix;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisCqrsOptions>>().Value);
        Assert.Contains("RedisCqrsOptions.KeyPrefix", error.Message, StringComparison.Ordinal);
        Assert.Contains("glob", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prefix_without_a_trailing_separator_is_refused_because_another_prefix_and_projection_could_spell_the_same_keys()
    {
        // "cqrs:a" + projection "b" and "cqrs:" + projection "ab" would both be {cqrs:ab}.
        var error = Assert.Throws<ArgumentException>(() => new RedisProjectionStore("127.0.0.1:1", "cqrs:a"));
        Assert.Contains("must end with ':'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cqrs:")]
    [InlineData("orders.service-1:cqrs_v2:")]
    [InlineData("")]
    public void A_prefix_of_safe_characters_ending_with_the_separator_is_accepted(string prefix)
    {
        var services = new ServiceCollection();
        services.AddCqrs(_ => { }).UseRedisReadModels(o =>
        {
            o.Configuration = "127.0.0.1:1";
            o.KeyPrefix = prefix;
        });
        using var provider = services.BuildServiceProvider();

        Assert.Equal(prefix, provider.GetRequiredService<IOptions<RedisCqrsOptions>>().Value.KeyPrefix);
    }

    [Fact]
    public async Task Readers_are_refused_a_prefix_no_store_accepts()
    {
        await using var redis = await ServerConnections.ConnectRedisAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => RedisReadModel.LiveKeyAsync(redis.GetDatabase(), "balances", "balances", "cq*:"));
    }
}
