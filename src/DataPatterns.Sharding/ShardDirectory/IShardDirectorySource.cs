namespace DataPatterns.Sharding;

/// <summary>Loads the key → shard table of a directory (lookup) shard set, e.g. tenant → shard from a database table.</summary>
/// <typeparam name="TKey">The key type (a tenant id, a customer id).</typeparam>
public interface IShardDirectorySource<TKey>
    where TKey : notnull
{
    /// <summary>Loads the whole table: every key with the name of the shard that owns it.</summary>
    ValueTask<IReadOnlyDictionary<TKey, string>> LoadAsync(CancellationToken cancellationToken);
}
