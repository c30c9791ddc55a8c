using StackExchange.Redis;

namespace DataPatterns.Cqrs.Redis;

/// <summary>
/// What a Redis projection gets for one batch: a transaction (MULTI/EXEC) that also moves the checkpoint, and the key
/// names of the generation being written. Queue commands on <see cref="Transaction"/> without awaiting them (they run at
/// EXEC, all or none); read current values through <see cref="Database"/>.
/// </summary>
public sealed class RedisProjectionContext
{
    internal RedisProjectionContext(IDatabase database, ITransaction transaction, string projectionName, int generation, string generationPrefix)
    {
        Database = database;
        Transaction = transaction;
        ProjectionName = projectionName;
        Generation = generation;
        _generationPrefix = generationPrefix;
    }

    private readonly string _generationPrefix;

    /// <summary>The database, for reads (not part of the transaction).</summary>
    public IDatabase Database { get; }

    /// <summary>The batch's transaction: queue the read-model writes here; do not await the returned tasks inside ApplyAsync.</summary>
    public ITransaction Transaction { get; }

    /// <summary>The projection's name.</summary>
    public string ProjectionName { get; }

    /// <summary>The generation being written.</summary>
    public int Generation { get; }

    /// <summary>The key of a read-model entry in this generation (readers use <see cref="RedisReadModel.LiveKeyAsync"/>).</summary>
    /// <param name="name">The entry's name, e.g. <c>account:42</c>.</param>
    /// <returns>The full key.</returns>
    public RedisKey Key(string name) => _generationPrefix + name;
}
