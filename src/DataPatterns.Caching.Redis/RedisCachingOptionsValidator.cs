using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Redis;

internal sealed class RedisCachingOptionsValidator : IValidateOptions<RedisCachingOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisCachingOptions options)
    {
        var failures = new List<string>();
        if (options.ConnectionMultiplexerFactory is null && string.IsNullOrWhiteSpace(options.Configuration))
        {
            failures.Add("Redis caching: set Configuration (e.g. \"127.0.0.1:6379\") or ConnectionMultiplexerFactory in UseRedis(...).");
        }

        if (options.WriteBackClaimIdleTime <= TimeSpan.Zero)
        {
            failures.Add($"Redis caching: WriteBackClaimIdleTime must be positive (it is {options.WriteBackClaimIdleTime}); it should exceed the longest flush.");
        }

        if (options.CommandTimeout < TimeSpan.FromMilliseconds(10) || options.CommandTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Redis caching: CommandTimeout must be between 10 ms and 10 minutes (it is {options.CommandTimeout}).");
        }

        if (options.LockRetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"Redis caching: LockRetryDelay must be positive (it is {options.LockRetryDelay}).");
        }

        var durability = options.WriteBackDurability;
        if (durability.RequiredReplicas < 0)
        {
            failures.Add($"Redis caching: WriteBackDurability.RequiredReplicas must be 0 (acknowledge once the master holds a write) or more (it is {durability.RequiredReplicas}).");
        }

        if (durability.ReplicaTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Redis caching: WriteBackDurability.ReplicaTimeout must be positive (it is {durability.ReplicaTimeout}); WAIT with 0 would wait forever.");
        }
        else if (options.ConnectionMultiplexerFactory is null && durability.ReplicaTimeout >= options.CommandTimeout
            && (durability.RequiredReplicas > 0 || durability.WaitForAppendOnlyFile))
        {
            failures.Add($"Redis caching: WriteBackDurability.ReplicaTimeout ({durability.ReplicaTimeout}) must be shorter than CommandTimeout ({options.CommandTimeout}), or the wait is cut off by the command timeout first.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
