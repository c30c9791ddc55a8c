using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs.Redis;

/// <summary>Where Redis read models live.</summary>
public sealed class RedisCqrsOptions
{
    /// <summary>A StackExchange.Redis configuration string (e.g. <c>localhost:6379</c>). Required unless an <c>IConnectionMultiplexer</c> is registered.</summary>
    public string? Configuration { get; set; }

    /// <summary>The prefix of every key. Default "cqrs:".</summary>
    public string KeyPrefix { get; set; } = "cqrs:";
}

/// <summary>Checks <see cref="RedisCqrsOptions"/> at start-up.</summary>
internal sealed class RedisCqrsOptionsValidator : IValidateOptions<RedisCqrsOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisCqrsOptions options) =>
        options.KeyPrefix is null
            ? ValidateOptionsResult.Fail("RedisCqrsOptions.KeyPrefix is null; leave the default \"cqrs:\" or set a prefix.")
            : ValidateOptionsResult.Success;
}
