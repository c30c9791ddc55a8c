using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DataPatterns.Caching;

/// <summary>The package's one <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>DataPatterns.Caching</c>.</summary>
internal sealed class CachingMetrics : IDisposable
{
    public const string Name = CachingTelemetry.Name;

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Lock _queueLock = new();
    private QueueDepthSource[] _queues = [];

    public CachingMetrics(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Hits = Meter.CreateCounter<long>("datapatterns.cache.hits", "{hit}", "Reads answered by a cache level (tags: datapatterns.cache.name, datapatterns.cache.level).");
        Misses = Meter.CreateCounter<long>("datapatterns.cache.misses", "{miss}", "Reads a cache level could not answer (tags: datapatterns.cache.name, datapatterns.cache.level).");
        Loads = Meter.CreateCounter<long>("datapatterns.cache.loads", "{load}", "Loader calls (tags: datapatterns.cache.name, datapatterns.cache.outcome).");
        StampedesMerged = Meter.CreateCounter<long>("datapatterns.cache.stampede.merged", "{request}", "Misses that joined a load already running for the same key.");
        StaleServed = Meter.CreateCounter<long>("datapatterns.cache.failsafe.served", "{value}", "Expired values served because the loader failed, or (soft timeout) was slow.");
        SoftTimeouts = Meter.CreateCounter<long>("datapatterns.cache.load.soft_timeouts", "{load}", "Loads that outlasted the soft timeout: their waiters got a stale value and the load went on in the background.");
        LevelErrors = Meter.CreateCounter<long>("datapatterns.cache.level.errors", "{error}", "Failed or timed-out calls to the distributed level, backplane or lock (tags: datapatterns.cache.name, datapatterns.cache.level).");
        Repairs = Meter.CreateCounter<long>("datapatterns.cache.level.repairs", "{entry}", "Distributed-level entries and tags deleted or re-invalidated once the level answered again after a failed write.");
        Evictions = Meter.CreateCounter<long>("datapatterns.cache.evictions", "{entry}", "Memory entries evicted by the size limit.");
        WriteBackQueueDepth = Meter.CreateObservableGauge(
            "datapatterns.cache.writeback.queue.depth",
            ObserveQueueDepths,
            "{write}",
            "Writes waiting in a write-behind queue (tag: cache). In memory: this instance's keys not yet written; durable: the Redis stream's length as last read by this instance.");
        FlushBatchSize = Meter.CreateHistogram<int>("datapatterns.cache.writeback.flush.batch_size", "{write}", "Writes per flushed batch.");
        FlushDuration = Meter.CreateHistogram<double>("datapatterns.cache.writeback.flush.duration", "s", "Time to write one batch.");
        FlushFailures = Meter.CreateCounter<long>("datapatterns.cache.writeback.flush.failures", "{batch}", "Batches the writer failed to write.");
        DeadLetters = Meter.CreateCounter<long>("datapatterns.cache.writeback.dead_letters", "{write}", "Writes given up after the last attempt.");
    }

    public Meter Meter { get; }

    public Counter<long> Hits { get; }

    public Counter<long> Misses { get; }

    public Counter<long> Loads { get; }

    public Counter<long> StampedesMerged { get; }

    public Counter<long> StaleServed { get; }

    public Counter<long> SoftTimeouts { get; }

    public Counter<long> LevelErrors { get; }

    public Counter<long> Evictions { get; }

    public Counter<long> Repairs { get; }

    public ObservableGauge<long> WriteBackQueueDepth { get; }

    public Histogram<int> FlushBatchSize { get; }

    public Histogram<double> FlushDuration { get; }

    public Counter<long> FlushFailures { get; }

    public Counter<long> DeadLetters { get; }

    /// <summary>Reports <paramref name="depth"/> as the queue depth of <paramref name="cacheName"/> until disposed.</summary>
    public IDisposable ObserveWriteBackQueue(string cacheName, Func<long> depth)
    {
        var source = new QueueDepthSource(this, new KeyValuePair<string, object?>("datapatterns.cache.name", cacheName), depth);
        lock (_queueLock)
        {
            _queues = [.. _queues, source];
        }

        return source;
    }

    public void Dispose() => Meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveQueueDepths()
    {
        var queues = Volatile.Read(ref _queues);
        var measurements = new Measurement<long>[queues.Length];
        for (var i = 0; i < queues.Length; i++)
        {
            measurements[i] = new Measurement<long>(queues[i].Depth(), queues[i].Tag);
        }

        return measurements;
    }

    private void Remove(QueueDepthSource source)
    {
        lock (_queueLock)
        {
            _queues = Array.FindAll(_queues, q => !ReferenceEquals(q, source));
        }
    }

    private sealed class QueueDepthSource(CachingMetrics owner, KeyValuePair<string, object?> tag, Func<long> depth) : IDisposable
    {
        public KeyValuePair<string, object?> Tag { get; } = tag;

        public Func<long> Depth { get; } = depth;

        public void Dispose() => owner.Remove(this);
    }
}
