using System.IO.Hashing;
using System.Text;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A coordinator's prefix and node id claimed on one PostgreSQL database: a session-level advisory lock
/// (<c>pg_try_advisory_lock</c>) on a connection kept open until the claim is released. The server drops the lock with
/// the session, so a coordinator that dies (even kill -9) frees its node id for its replacement at once. A host that
/// vanishes (power loss, network cut) sends no goodbye, so the claim's session asks the server to probe it often: its
/// session and lock end about 25-30 s after the host went silent, instead of after the OS default of two hours. The key
/// is an XxHash64 of the prefix and node id: stable across processes, versions and machines.
/// </summary>
internal sealed class PostgresNodeClaim : IHeldNodeClaim
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _location;
    private readonly string _prefix;
    private readonly string _nodeId;
    private readonly NodeClaimOwner _owner;
    private readonly long _key;
    private NpgsqlConnection? _connection;
    private string? _session;

    private PostgresNodeClaim(NpgsqlDataSource dataSource, string location, string prefix, string nodeId, NodeClaimOwner owner)
    {
        _dataSource = dataSource;
        _owner = owner;
        _location = location;
        _prefix = prefix;
        _nodeId = nodeId;
        _key = Key(prefix, nodeId);
    }

    /// <summary>The advisory-lock key of a prefix and node id.</summary>
    public static long Key(string prefix, string nodeId) =>
        unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"datapatterns.2pc.node\0{prefix}\0{nodeId}")));

    /// <summary>Claims the node id on <paramref name="dataSource"/>'s database, or says who holds it.</summary>
    public static async ValueTask<IHeldNodeClaim> ClaimAsync(NpgsqlDataSource dataSource, string location, string prefix, string nodeId, NodeClaimOwner owner, CancellationToken cancellationToken)
    {
        var claim = new PostgresNodeClaim(dataSource, location, prefix, nodeId, owner);
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

    /// <summary>The claim's server session, for tests: null while the claim is held through another of its owner's sessions.</summary>
    internal NpgsqlConnection? Connection => _connection;

    private async ValueTask TakeAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ProbeClientOftenAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _key });
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    _session = await OwnSessionAsync(connection, cancellationToken).ConfigureAwait(false);
                    _owner.Add(_session);
                    _connection = connection;
                    return;
                }
            }

            var (session, holder) = await DescribeHolderAsync(connection, _key, cancellationToken).ConfigureAwait(false);
            if (session is not null && _owner.Holds(session))
            {
                // This coordinator reached the same database under another spelling and holds the claim there already.
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }

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
        if (_session is not null)
        {
            _owner.Remove(_session);
            _session = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Has the server probe this session's client every 5 s after 10 s of silence and give up after 3 missed probes, or
    /// after 30 s of unacknowledged data (PostgreSQL 12+): without it, a session whose host vanished lives on for the
    /// OS keepalive default (two hours), and so does the claim, refusing the host's replacement all that time.
    /// </summary>
    private static async ValueTask ProbeClientOftenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3";
        if (connection.PostgreSqlVersion.Major >= 12)
        {
            sql += "; SET tcp_user_timeout = 30000";
        }

        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>This session's identity: its backend pid and start time (a pid alone may repeat on another server).</summary>
    private static async ValueTask<string> OwnSessionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return SessionId(reader.GetInt32(0), reader.GetFieldValue<DateTime>(1));
    }

    private static string SessionId(int pid, DateTime backendStart) => FormattableString.Invariant($"{pid}@{backendStart.Ticks}");

    /// <summary>
    /// The session holding the lock as far as this role may see it (pg_stat_activity hides others' details): its identity
    /// (null when hidden) and a description for the error.
    /// </summary>
    private static async ValueTask<(string? Session, string? Description)> DescribeHolderAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken)
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
            return (null, null);
        }

        var client = reader.IsDBNull(1) ? "a local socket or a hidden address" : reader.GetString(1);
        var application = reader.IsDBNull(2) || reader.GetString(2).Length == 0 ? "no application_name" : $"application_name '{reader.GetString(2)}'";
        var since = reader.IsDBNull(3) ? string.Empty : $", connected since {reader.GetFieldValue<DateTimeOffset>(3):u}";
        var session = reader.IsDBNull(3) ? null : SessionId(reader.GetInt32(0), reader.GetFieldValue<DateTime>(3));
        return (session, $"held by PostgreSQL backend pid {reader.GetInt32(0)}, client {client}, {application}{since}");
    }
}
