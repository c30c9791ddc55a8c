using System.Data.Common;

namespace DataPatterns.Sharding;

/// <summary>
/// Loads a directory from any ADO.NET <see cref="DbDataSource"/> (Npgsql's <c>NpgsqlDataSource</c>, for one) with a query
/// whose first column is the key and whose second is the shard name, e.g.
/// <c>SELECT tenant_id, shard FROM tenant_shards</c>.
/// </summary>
/// <typeparam name="TKey">The key type; the first column must read as it.</typeparam>
public sealed class DbShardDirectorySource<TKey> : IShardDirectorySource<TKey>
    where TKey : notnull
{
    private readonly DbDataSource _dataSource;
    private readonly string _query;

    /// <summary>Creates the source.</summary>
    public DbShardDirectorySource(DbDataSource dataSource, string query)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        _dataSource = dataSource;
        _query = query;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<TKey, string>> LoadAsync(CancellationToken cancellationToken)
    {
        var table = new Dictionary<TKey, string>();
        await using var command = _dataSource.CreateCommand(_query);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (reader.FieldCount < 2)
        {
            throw new InvalidOperationException($"The directory query must return (key, shard name); it returned {reader.FieldCount} column(s): {_query}");
        }

        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = reader.GetFieldValue<TKey>(0);
            var shard = reader.GetString(1);
            if (!table.TryAdd(key, shard))
            {
                throw new InvalidOperationException($"The directory query returned key '{key}' twice; each key must map to exactly one shard.");
            }
        }

        return table;
    }
}
