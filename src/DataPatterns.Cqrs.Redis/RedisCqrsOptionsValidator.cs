using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs.Redis;

/// <summary>Checks <see cref="RedisCqrsOptions"/> at start-up.</summary>
internal sealed class RedisCqrsOptionsValidator : IValidateOptions<RedisCqrsOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisCqrsOptions options) =>
        RedisKeyPrefix.Problem(options.KeyPrefix) is { } problem
            ? ValidateOptionsResult.Fail("RedisCqrsOptions.KeyPrefix " + problem)
            : ValidateOptionsResult.Success;
}
