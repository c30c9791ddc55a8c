namespace DataPatterns.Caching.Redis;

/// <summary>What a durable write-back cache does when Redis would lose acknowledged writes on a restart.</summary>
public enum RedisPersistenceRequirement
{
    /// <summary>Log a warning naming the server setting and the risk, and start.</summary>
    Warn,

    /// <summary>Refuse to start (<see cref="RedisWriteBackDurabilityException"/>) until every master runs with <c>appendonly yes</c> and <c>appendfsync always</c>.</summary>
    Refuse,
}
