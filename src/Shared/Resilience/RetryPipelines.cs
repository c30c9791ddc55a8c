using Polly;
using Polly.Retry;

namespace DataPatterns.Resilience;

/// <summary>
/// The one back-off every background loop of the library uses (write-back flushing, phase-2 delivery,
/// projection batches): Polly's exponential retry with jitter, driven by the caller's <see cref="TimeProvider"/>.
/// Linked as source into each core package so that they share the shape and the option names
/// (<c>Delay</c>, <c>MaxDelay</c>, <c>UseJitter</c>) without a package of their own.
/// </summary>
internal static class RetryPipelines
{
    /// <summary>Retries whatever <paramref name="shouldRetry"/> accepts, up to <paramref name="maxRetries"/> times
    /// (<see cref="int.MaxValue"/> for "until cancelled"). Cancellation of the caller's token is never retried.</summary>
    public static ResiliencePipeline Exponential(
        TimeSpan delay,
        TimeSpan maxDelay,
        bool useJitter,
        int maxRetries,
        Func<Exception, bool> shouldRetry,
        TimeProvider timeProvider,
        Func<OnRetryArguments<object>, ValueTask>? onRetry = null)
    {
        ArgumentNullException.ThrowIfNull(shouldRetry);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var options = new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)
                && shouldRetry(e)),
            MaxRetryAttempts = maxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = useJitter,
            Delay = delay,
            MaxDelay = maxDelay,
            OnRetry = onRetry,
        };
        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddRetry(options).Build();
    }
}
