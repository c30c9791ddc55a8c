using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching;

/// <summary>Checks every named cache's options at start-up, with messages that name the setting and the fix.</summary>
internal sealed class CacheOptionsValidator(IServiceProvider services) : IValidateOptions<CacheOptions>, IValidateOptions<CachingOptions>
{
    public ValidateOptionsResult Validate(string? name, CacheOptions options)
    {
        var failures = new List<string>();
        var cache = $"Cache '{name}'";
        CollectExpiration(cache, options, failures);
        CollectLevels(cache, options, failures);
        CollectLoading(cache, options, failures);
        CollectWriting(cache, options, failures);
        if (options.WriteStrategy == CacheWriteStrategy.WriteBack)
        {
            CollectWriteBack(cache, options, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, CachingOptions options)
    {
        if (!CacheKeyLayout.IsValidName(options.ApplicationName))
        {
            return ValidateOptionsResult.Fail(
                $"Caching: ApplicationName '{options.ApplicationName}' must be non-empty letters, digits, '.', '-' or '_'; it prefixes every Redis key.");
        }

        return ValidateOptionsResult.Success;
    }

    /// <summary>Duration, sliding expiration and jitter.</summary>
    private static void CollectExpiration(string cache, CacheOptions options, List<string> failures)
    {
        if (options.Expiration.Duration <= TimeSpan.Zero)
        {
            failures.Add($"{cache}: Expiration.Duration must be positive (it is {options.Expiration.Duration}); set how long an entry lives, e.g. TimeSpan.FromMinutes(5).");
        }

        if (options.Expiration.SlidingExpiration is { } sliding && sliding <= TimeSpan.Zero)
        {
            failures.Add($"{cache}: Expiration.SlidingExpiration must be positive or null (it is {sliding}).");
        }

        if (options.Expiration.JitterMaxDuration < TimeSpan.Zero)
        {
            failures.Add($"{cache}: Expiration.JitterMaxDuration must not be negative (it is {options.Expiration.JitterMaxDuration}).");
        }
    }

    /// <summary>At least one level; the memory size and the distributed timeout.</summary>
    private static void CollectLevels(string cache, CacheOptions options, List<string> failures)
    {
        if (!options.Memory.Enabled && !options.Distributed.Enabled)
        {
            failures.Add($"{cache}: Memory.Enabled and Distributed.Enabled are both false; enable at least one level.");
        }

        if (options.Memory.MaxEntries < 1)
        {
            failures.Add($"{cache}: Memory.MaxEntries must be at least 1 (it is {options.Memory.MaxEntries}).");
        }

        if (options.Distributed.Timeout <= TimeSpan.Zero && options.Distributed.Timeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{cache}: Distributed.Timeout must be positive, or Timeout.InfiniteTimeSpan to rely on the store's own timeouts (it is {options.Distributed.Timeout}).");
        }
    }

    /// <summary>Loader timeout, "not found" caching, refresh-ahead and fail-safe.</summary>
    private static void CollectLoading(string cache, CacheOptions options, List<string> failures)
    {
        if (options.Loading.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{cache}: Loading.Timeout must be positive (it is {options.Loading.Timeout}).");
        }

        if (options.Loading.SoftTimeout is { } soft && (soft <= TimeSpan.Zero || soft >= options.Loading.Timeout || !options.FailSafe.Enabled))
        {
            failures.Add($"{cache}: Loading.SoftTimeout ({soft}) must be above zero and below Loading.Timeout ({options.Loading.Timeout}), and needs FailSafe.Enabled: it serves a recently expired value while the load goes on.");
        }

        if (options.Loading.MaxBatchSize < 1)
        {
            failures.Add($"{cache}: Loading.MaxBatchSize must be at least 1 (it is {options.Loading.MaxBatchSize}); it is how many keys one batch loader call gets.");
        }

        if (options.Loading.NotFoundDuration < TimeSpan.Zero)
        {
            failures.Add($"{cache}: Loading.NotFoundDuration must not be negative; use TimeSpan.Zero to not cache \"not found\".");
        }

        if (options.Loading.RefreshAheadRatio is < 0 or >= 1 || double.IsNaN(options.Loading.RefreshAheadRatio))
        {
            failures.Add($"{cache}: Loading.RefreshAheadRatio must be 0 (off) or between 0 and 1 exclusive, e.g. 0.8 (it is {options.Loading.RefreshAheadRatio}).");
        }

        if (options.FailSafe.Enabled && options.FailSafe.MaxStaleDuration <= TimeSpan.Zero)
        {
            failures.Add($"{cache}: FailSafe.MaxStaleDuration must be positive when FailSafe.Enabled is true.");
        }
    }

    /// <summary>Key length, a writer for the write strategy, and the services the options ask for.</summary>
    private void CollectWriting(string cache, CacheOptions options, List<string> failures)
    {
        if (options.MaxKeyLength is < 1 or > 65_536)
        {
            failures.Add($"{cache}: MaxKeyLength must be between 1 and 65536 (it is {options.MaxKeyLength}).");
        }

        if (options.WriteStrategy != CacheWriteStrategy.CacheOnly && !options.HasWriter)
        {
            failures.Add($"{cache}: WriteStrategy is {options.WriteStrategy} but no writer is registered; call .WithWriter<TWriter>() on the cache builder.");
        }

        if (options.Loading.UseDistributedLock && services.GetService<ICacheDistributedLock>() is null)
        {
            failures.Add($"{cache}: Loading.UseDistributedLock is true but no distributed lock is registered; call .UseRedis(...) on the caching builder.");
        }
    }

    /// <summary>Batching, flushing, retries and the durable store of a write-back cache.</summary>
    private void CollectWriteBack(string cache, CacheOptions options, List<string> failures)
    {
        var wb = options.WriteBack;
        if (wb.BatchSize < 1)
        {
            failures.Add($"{cache}: WriteBack.BatchSize must be at least 1 (it is {wb.BatchSize}).");
        }

        if (wb.Capacity < wb.BatchSize)
        {
            failures.Add($"{cache}: WriteBack.Capacity ({wb.Capacity}) must be at least WriteBack.BatchSize ({wb.BatchSize}).");
        }

        if (wb.FlushInterval <= TimeSpan.Zero)
        {
            failures.Add($"{cache}: WriteBack.FlushInterval must be positive (it is {wb.FlushInterval}).");
        }

        if (wb.MaxAttempts < 1)
        {
            failures.Add($"{cache}: WriteBack.MaxAttempts must be at least 1 (it is {wb.MaxAttempts}).");
        }

        if (wb.RetryDelay < TimeSpan.Zero)
        {
            failures.Add($"{cache}: WriteBack.RetryDelay must not be negative.");
        }

        if (wb.MaxRetryDelay < wb.RetryDelay)
        {
            failures.Add($"{cache}: WriteBack.MaxRetryDelay ({wb.MaxRetryDelay}) must be at least WriteBack.RetryDelay ({wb.RetryDelay}).");
        }

        if (wb.Durable && services.GetService<IWriteBackStore>() is null)
        {
            failures.Add($"{cache}: WriteBack.Durable is true but no durable write-back store is registered; call .UseRedis(...) on the caching builder.");
        }
    }
}
