using System.Collections.Concurrent;
using System.Data.Common;
using MySqlConnector;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// Causal reads on Galera. A Galera commit returns once the cluster has certified it, but the other nodes apply it a
/// moment later, so a read on another node may not see it yet. A causal read makes the node wait until it has applied
/// everything the cluster committed before the read began (<c>wsrep_sync_wait = 1</c>). It is done once per connection,
/// when it opens, with <c>SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1</c>: the variable is set for that one statement
/// only, so the session keeps its own value and nothing is left to restore before the connection returns to the pool,
/// whatever the caller's code does. Every later read on the connection sees at least that state (a node applies in
/// order). Cost: one round trip to the node plus one group-communication round among the nodes (the node asks the
/// cluster for its latest sequence number and waits until it has applied that far).
/// <para>
/// A MariaDB Galera node ignores <c>wsrep_sync_wait</c> on a session that was reset with COM_RESET_CONNECTION or
/// COM_CHANGE_USER (the server stops treating it as a client session; galera issue 613, fixed in Percona XtraDB Cluster as
/// PXC-4003, open in MariaDB 10.11), and MySqlConnector resets every pooled connection it hands out again unless the
/// connection string says <c>Connection Reset=false</c>. A causal read on such a connection would silently not be
/// causal, so these methods refuse it; <c>UseGalera()</c> builds node data sources with <c>Connection Reset=false</c>.
/// </para>
/// </summary>
public static class GaleraCausalReads
{
    // SET STATEMENT scopes the variable to one statement (MariaDB 10.1.2+): the session's own value is untouched.
    private const string SyncSql = "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT 1";

    /// <summary>
    /// Opens a read connection on a Synced node that sees every transaction committed anywhere in the cluster before this
    /// call (read-after-write across nodes, and across processes).
    /// </summary>
    /// <param name="router">The router, in Galera mode.</param>
    /// <param name="cancellationToken">Cancels the open and the wait.</param>
    /// <returns>An open connection; dispose it as usual.</returns>
    public static async ValueTask<DbConnection> OpenCausalReadConnectionAsync(this ReadWriteRouter router, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(router);
        var connection = await router.OpenConnectionAsync(RoutingIntent.Read, cancellationToken).ConfigureAwait(false);
        try
        {
            await SyncAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Read-your-writes for a <see cref="RoutingSession"/> on Galera: once the session has written (or observed a token
    /// from an earlier request), its reads are causal (<see cref="OpenCausalReadConnectionAsync(ReadWriteRouter, CancellationToken)"/>);
    /// before that they are plain reads, and pay nothing.
    /// </summary>
    /// <param name="session">The unit of work.</param>
    /// <param name="cancellationToken">Cancels the open and the wait.</param>
    /// <returns>An open connection; dispose it as usual.</returns>
    public static ValueTask<DbConnection> OpenCausalReadConnectionAsync(this RoutingSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.HasUnresolvedWrite || !session.Token.IsNone
            ? session.Router.OpenCausalReadConnectionAsync(cancellationToken)
            : session.Router.OpenConnectionAsync(RoutingIntent.Read, cancellationToken);
    }

    /// <summary>
    /// Makes the node of an open connection catch up with the cluster: when this returns, reads on the connection see
    /// every transaction committed anywhere in the cluster before the call. For connections the application opened itself
    /// (an ORM's). The session's <c>wsrep_sync_wait</c> is not changed.
    /// </summary>
    /// <param name="connection">An open connection to a Galera node.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">The connection is not open.</exception>
    public static async ValueTask SyncAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.State != System.Data.ConnectionState.Open)
        {
            throw new InvalidOperationException($"The connection is {connection.State}; open it before asking its node to catch up with the cluster.");
        }

        if (connection is MySqlConnection && IsResetFromPool(connection.ConnectionString))
        {
            throw new InvalidOperationException(
                "This connection comes from a pool that resets connections (MySqlConnector's default, Connection Reset=true), and a Galera node "
                + "ignores wsrep_sync_wait on a reset session, so the read would not be causal. Add 'Connection Reset=false' to the node's "
                + "connection string (UseGalera() does this for nodes given by connection string), or 'Pooling=false'.");
        }

        await using var command = connection.CreateCommand();
        command.CommandText = SyncSql;
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    // Parsed once per connection string: a causal read must not pay a parse.
    private static readonly ConcurrentDictionary<string, bool> ResetsFromPool = new(StringComparer.Ordinal);

    internal static bool IsResetFromPool(string connectionString) =>
        ResetsFromPool.GetOrAdd(connectionString, static text =>
        {
            var settings = new MySqlConnectionStringBuilder(text);
            return settings.Pooling && settings.ConnectionReset;
        });
}
