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
internal sealed class PostgresNodeClaim : IHeldNodeClaim
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _location;
    private readonly string _prefix;
    private readonly string _nodeId;
    private readonly long _key;
    private NpgsqlConnection? _connection;

    private PostgresNodeClaim(NpgsqlDataSource dataSource, string location, string prefix, string nodeId)
    {
        _dataSource = dataSource;
        _location = location;
        _prefix = prefix;
        _nodeId = nodeId;
        _key = Key(prefix, nodeId);
    }

    /// <summary>The advisory-lock key of a prefix and node id.</summary>
    public static long Key(string prefix, string nodeId) =>
        unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"datapatterns.2pc.node\0{prefix}\0{nodeId}")));

    /// <summary>Claims the node id on <paramref name="dataSource"/>'s database, or says who holds it.</summary>
    public static async ValueTask<IHeldNodeClaim> ClaimAsync(NpgsqlDataSource dataSource, string location, string prefix, string nodeId, CancellationToken cancellationToken)
    {
        var claim = new PostgresNodeClaim(dataSource, location, prefix, nodeId);
        await claim.TakeAsync(cancellationToken).ConfigureAwait(false);
        return claim;
    }

    /// <inheritdoc />
    public async ValueTask RenewAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return; // the session lives, and the lock with it
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                await DropConnectionAsync().ConfigureAwait(false);
            }
        }

        try
        {
            await TakeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (!cancellationToken.IsCancellationRequested)
        {
            // The server is out of reach: so are its branches, for this pass. Try again before the next one.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is null)
        {
            return;
        }

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

        await DropConnectionAsync().ConfigureAwait(false);
    }

    private async ValueTask TakeAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _key });
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    _connection = connection;
                    return;
                }
            }

            var holder = await DescribeHolderAsync(connection, _key, cancellationToken).ConfigureAwait(false);
            throw new CoordinatorNodeInUseException(_prefix, _nodeId, _location, holder);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask DropConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
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
