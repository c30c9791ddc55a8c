namespace DataPatterns.Caching.Redis;

/// <summary>How large a group-committed batch of write-back appends gets, and how many appends may wait for one.</summary>
/// <remarks>
/// Two batches of a stream may be in flight (one when appends wait for WAIT / WAITAOF): the next one then reaches Redis
/// while the one before is answered and its callers go on, so Redis does not sit idle between them, and with
/// <c>appendfsync always</c> both share a disk sync. Appends that arrive while both are in flight wait and go as the
/// next batch. A batch is one script call that Redis runs without serving anyone else, so it is kept short (256 appends, 1 MiB).
/// The waiting list is bounded so that a Redis that stops answering cannot make a process queue writes without limit
/// (64 full batches, 64 MiB); past it an append is refused with the retryable <see cref="WriteBackUnavailableException"/>.
/// </remarks>
internal sealed record RedisWriteBackBatchLimits
{
    public static readonly RedisWriteBackBatchLimits Default = new();

    /// <summary>The most batches of one stream sent and not yet answered.</summary>
    public int MaxInFlight { get; init; } = 2;

    /// <summary>The most appends sent in one script call.</summary>
    public int MaxBatchEntries { get; init; } = 256;

    /// <summary>The most key and value bytes in one script call (a single larger append still goes, alone).</summary>
    public long MaxBatchBytes { get; init; } = 1L << 20;

    /// <summary>The most appends of one stream waiting for the batch in flight.</summary>
    public int MaxWaitingEntries { get; init; } = 64 * 256;

    /// <summary>The most key and value bytes of one stream waiting for the batch in flight.</summary>
    public long MaxWaitingBytes { get; init; } = 64L << 20;
}

/// <summary>One append of a batch: the serialised key and value.</summary>
internal class RedisWriteBackBatchEntry(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
{
    public ReadOnlyMemory<byte> Key { get; } = key;

    public ReadOnlyMemory<byte> Value { get; } = value;

    public long Bytes => Key.Length + Value.Length;
}
