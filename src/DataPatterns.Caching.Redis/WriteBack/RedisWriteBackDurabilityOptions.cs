namespace DataPatterns.Caching.Redis;

/// <summary>
/// What a durable write-back acknowledgement rests on. A write is acknowledged once it is in the Redis stream, and it
/// survives the application instance's death; whether it survives Redis's own restart or failover depends on Redis's
/// persistence and replication, which these settings check and strengthen.
/// </summary>
public sealed class RedisWriteBackDurabilityOptions
{
    /// <summary>
    /// What a durable write-back cache does at start when a Redis master reports (INFO persistence) that acknowledged
    /// writes would not survive its restart: no append-only file, or an append-only file synced only every second or by
    /// the operating system. Default <see cref="RedisPersistenceRequirement.Warn"/>: durable write-back still protects
    /// against the application's death with any Redis, and most development and container servers persist nothing, so
    /// refusing by default would stop every first run; set <see cref="RedisPersistenceRequirement.Refuse"/> where a write
    /// must also survive Redis.
    /// </summary>
    public RedisPersistenceRequirement Persistence { get; set; } = RedisPersistenceRequirement.Warn;

    /// <summary>
    /// Acknowledge a write only once this many replicas hold it (WAIT after the append, sent with it in one round trip).
    /// 0 (the default) acknowledges once the master holds it. Checked at start against the replicas each master reports.
    /// WAIT holds its connection until the replicas answer, so such appends use a multiplexer of their own (L2 reads,
    /// locks and the backplane never wait behind them) and go one batch after another on it: concurrent appends to one
    /// cache's stream share a batch and its WAIT.
    /// </summary>
    public int RequiredReplicas { get; set; }

    /// <summary>
    /// How long a write waits for <see cref="RequiredReplicas"/> (and <see cref="WaitForAppendOnlyFile"/>) before it fails
    /// with <see cref="WriteBackUnavailableException"/> (inner <see cref="RedisWriteBackNotReplicatedException"/>).
    /// Default 500 milliseconds. It must be shorter than <see cref="RedisCachingOptions.CommandTimeout"/>, or the command times out first.
    /// </summary>
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Also wait until the master (and <see cref="RequiredReplicas"/> replicas) have written the append to their
    /// append-only file (WAITAOF, Redis 7.2 or later; refused at start on an older server). Default false.
    /// </summary>
    public bool WaitForAppendOnlyFile { get; set; }
}
