using System.IO.Hashing;
using System.Text;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A coordinator's prefix and node id claimed on one PostgreSQL database: a session-level advisory lock
/// (<c>pg_try_advisory_lock</c>) on a connection kept open until the claim is released. The server drops the lock with
/// the session, so a coordinator that dies (even kill -9) frees its node id for its replacement at once. The key is an
/// XxHash64 of the prefix and node id: stable across processes, versions and machines.
/// </summary>
internal sealed class PostgresNodeClaim : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;

    private PostgresNodeClaim(NpgsqlConnection connection, long key)
    {
        _connection = connection;
        _key = key;
    }

    /// <summary>The advisory-lock key of a prefix and node id.</summary>
    public static long Key(string prefix, string nodeId) =>
        unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"datapatterns.2pc.node\0{prefix}\0{nodeId}")));

    /// <summary>Claims the node id on <paramref name="dataSource"/>'s database, or says who holds it.</summary>
    public static async ValueTask<IAsyncDisposable> ClaimAsync(NpgsqlDataSource dataSource, string location, string prefix, string nodeId, CancellationToken cancellationToken)
    {
        var key = Key(prefix, nodeId);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return new PostgresNodeClaim(connection, key);
                }
            }

            var holder = await DescribeHolderAsync(connection, key, cancellationToken).ConfigureAwait(false);
            throw new CoordinatorNodeInUseException(prefix, nodeId, location, holder);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _connection);
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _key });
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // The session is gone, and the lock with it; a broken connection is not returned to the pool.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The session holding the lock as far as this role may see it (pg_stat_activity hides others' details).</summary>
    private static async ValueTask<string?> DescribeHolderAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT l.pid, a.client_addr::text, a.application_name, a.backend_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid " +
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = $1 AND l.objid::bigint = $2 " +
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)((ulong)key >> 32) });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)((ulong)key & 0xFFFF_FFFF) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var client = reader.IsDBNull(1) ? "a local socket or a hidden address" : reader.GetString(1);
        var application = reader.IsDBNull(2) || reader.GetString(2).Length == 0 ? "no application_name" : $"application_name '{reader.GetString(2)}'";
        var since = reader.IsDBNull(3) ? string.Empty : $", connected since {reader.GetFieldValue<DateTimeOffset>(3):u}";
        return $"held by PostgreSQL backend pid {reader.GetInt32(0)}, client {client}, {application}{since}";
    }
}
