using System.Threading.RateLimiting;

namespace DataPatterns.Samples.Shop.Hosting.Overload;

/// <summary>
/// A <see cref="ConcurrencyLimiter"/> whose queued requests give up after a time: a request waiting longer than
/// <c>maxWait</c> gets a failed lease (and so a 503 with Retry-After) instead of waiting until its client gives up.
/// </summary>
internal sealed class WaitBoundedLimiter(ConcurrencyLimiter inner, TimeSpan maxWait, TimeSpan retryAfter, TimeProvider time) : RateLimiter
{
    /// <inheritdoc />
    public override TimeSpan? IdleDuration => inner.IdleDuration;

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        var lease = inner.AttemptAcquire(permitCount);
        return lease.IsAcquired ? lease : Refused(lease);
    }

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        // A free permit is the common case: take it without the timers and token sources a wait needs.
        var lease = inner.AttemptAcquire(permitCount);
        if (lease.IsAcquired)
        {
            return ValueTask.FromResult(lease);
        }

        lease.Dispose();
        return WaitAsync(permitCount, cancellationToken);
    }

    private async ValueTask<RateLimitLease> WaitAsync(int permitCount, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(maxWait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var lease = await inner.AcquireAsync(permitCount, linked.Token);
            return lease.IsAcquired ? lease : Refused(lease);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new RefusedLease(retryAfter);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private RefusedLease Refused(RateLimitLease lease)
    {
        lease.Dispose();
        return new RefusedLease(retryAfter);
    }

    /// <summary>A refusal that tells the client when to come back.</summary>
    private sealed class RefusedLease(TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
