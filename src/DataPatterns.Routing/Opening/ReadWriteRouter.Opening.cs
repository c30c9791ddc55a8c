using System.Data.Common;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace DataPatterns.Routing;

// Opening connections: the primary, a read (retrying other replicas, then the primary), the synchronous path, and
// the errors that say which nodes were tried. Each path picks nodes its own way (only the async ones can wait for a
// probe or a replica's replay); all open a node through OpenOn/OpenOnAsync (the adaptive limit, Overload/) and hand
// the connection out through Hand.
public sealed partial class ReadWriteRouter
{
    internal DbConnection CreatePrimaryConnectionForRead(string reason)
    {
        var node = SelectPrimary() ?? throw NoPrimary(null);
        var connection = node.DataSource.CreateConnection();
        if (node.Limiter is { } limiter)
        {
            ConcurrencyLease.AttachUnopened(connection, limiter, _time);
        }

        return Hand(node, connection, RoutingIntent.Read, reason);
    }

    /// <summary>Opens a connection to the primary; when none is known or it refuses, probes once more and retries (failover).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<DbConnection> OpenPrimaryAsync(RoutingIntent? countAs, string? reason, CancellationToken cancellationToken)
    {
        if (!_ready.Task.IsCompleted)
        {
            await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (reason == FallbackReasons.NoReplica && _whenNoReplica == NoReplicaBehavior.Fail)
        {
            throw NoReplica();
        }

        Exception? failure = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var node = SelectPrimary();
            if (node is not null)
            {
                try
                {
                    return Hand(node, await OpenOnAsync(node, cancellationToken).ConfigureAwait(false), countAs, reason);
                }
                catch (Exception ex) when (IsConnectFailure(ex, cancellationToken))
                {
                    failure = ex;
                    if (OnOpenFailure(node, ex, cancellationToken) is { } overloaded)
                    {
                        throw overloaded;
                    }
                }
            }

            if (attempt == 0)
            {
                // The primary is unknown or just refused: a failover may have happened. Look again before giving up.
                await ProbeAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        throw NoPrimary(failure);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<DbConnection> OpenReadAsync(ConsistencyToken token, CancellationToken cancellationToken)
    {
        if (System.Transactions.Transaction.Current is not null)
        {
            return await OpenPrimaryAsync(RoutingIntent.Read, FallbackReasons.Transaction, cancellationToken).ConfigureAwait(false);
        }

        bool[]? tried = null;
        for (var attempt = 0; attempt <= _nodes.Length; attempt++)
        {
            var node = SelectReplica(token, tried);
            if (node is null)
            {
                if (!token.IsNone && _readYourWritesWait > TimeSpan.Zero && SelectReplica(ConsistencyToken.None, tried) is { } behind)
                {
                    var waited = await WaitForReplayAsync(behind, token, cancellationToken).ConfigureAwait(false);
                    if (waited is not null)
                    {
                        return waited;
                    }
                }

                return await OpenPrimaryAsync(RoutingIntent.Read, FallbackReasonFor(token, tried), cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return Hand(node, await OpenOnAsync(node, cancellationToken).ConfigureAwait(false), RoutingIntent.Read, reason: null);
            }
            catch (Exception ex) when (IsConnectFailure(ex, cancellationToken))
            {
                // Taken out of rotation; the next candidate (or the primary) serves this read, so the caller sees no failure.
                // An overloaded node is not failed over: sending its load elsewhere would only spread the overload.
                if (OnOpenFailure(node, ex, cancellationToken) is { } overloaded)
                {
                    throw overloaded;
                }

                // Never the same node twice in one read: one still in rotation (kept under the ejection cap, or panic
                // mode) would only wait again. Other healthy replicas are tried before the primary takes the read.
                (tried ??= new bool[_nodes.Length])[Array.IndexOf(_nodes, node)] = true;
            }
        }

        return await OpenPrimaryAsync(RoutingIntent.Read, FallbackReasons.NoReplica, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the routed connection synchronously, retrying on another node when the chosen one refuses.</summary>
    internal DbConnection OpenConnection(RoutingIntent intent, ConsistencyToken token)
    {
        Exception? failure = null;
        RoutingNode? failed = null;
        bool[]? tried = null;
        for (var attempt = 0; attempt <= _nodes.Length; attempt++)
        {
            var node = failed is null ? Route(intent, token, out var reason) : RouteAfterFailure(failed, tried!, intent, token, out reason);
            if (node is null)
            {
                break;
            }

            DbConnection connection;
            try
            {
                connection = OpenOn(node);
            }
            catch (Exception ex) when (IsConnectFailure(ex, CancellationToken.None))
            {
                failure = ex;
                if (OnOpenFailure(node, ex, CancellationToken.None) is { } overloaded)
                {
                    throw overloaded;
                }

                failed = node;
                (tried ??= new bool[_nodes.Length])[Array.IndexOf(_nodes, node)] = true;
                continue;
            }

            return Hand(node, connection, intent == RoutingIntent.Write ? RoutingIntent.Write : RoutingIntent.Read, reason);
        }

        throw NoPrimary(failure);
    }

    /// <summary>Every path ends here: the node tracks the connection (to close it on demotion) and the metrics count it.</summary>
    private DbConnection Hand(RoutingNode node, DbConnection connection, RoutingIntent? countAs, string? reason)
    {
        node.Track(connection);
        if (countAs is { } intent)
        {
            Count(node, intent, reason);
        }

        return connection;
    }

    internal string DescribeConnectionString(RoutingIntent intent)
    {
        var node = intent == RoutingIntent.Write ? SelectPrimary() : SelectReplica(ConsistencyToken.None) ?? SelectPrimary();
        return node?.DataSource.ConnectionString ?? "";
    }

    // A RoutingException is the router's own verdict (an overloaded node, a full limit), never a node failure to act on.
    private static bool IsConnectFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is (DbException and not RoutingException) or SocketException or TimeoutException or IOException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private NoPrimaryAvailableException NoPrimary(Exception? cause) => new(
        $"Router '{Name}' has no writable primary: {DescribeNodes()}. "
        + (_ready.Task.IsCompleted
            ? "Writes succeed again once a node answers as primary (for example after a standby is promoted); retry later."
            : "The first probe has not finished; await WaitUntilReadyAsync() at start-up or use OpenConnectionAsync."),
        cause)
    { RouterName = Name };

    private NoReplicaAvailableException NoReplica() => new(
        $"Router '{Name}' has no replica that can read ({DescribeNodes()}) and WhenNoReplica is Fail; set WhenNoReplica to FallBackToPrimary to read from the primary instead.")
    { RouterName = Name };

    private string DescribeNodes() => string.Join(", ", _nodes.Select(n =>
        $"'{n.Name}' {(n.Role == NodeRole.Any ? "not probed yet" : n.Role.ToString().ToLowerInvariant())}{(n.IsHealthy ? "" : " ejected")}{(n.IsSlow ? " slow" : "")}{(n.IsDemoted ? " demoted" : "")}"));
}
