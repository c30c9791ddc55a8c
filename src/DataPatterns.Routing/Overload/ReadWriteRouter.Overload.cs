using System.Data.Common;
using System.Globalization;

namespace DataPatterns.Routing;

/// <summary>
/// How the router degrades under overload instead of collapsing: overload never ejects a node, a timeout ejects only
/// within <see cref="ReadWriteRouterOptions.MaxEjectionPercent"/> and never the last node of a role, a node whose
/// connections keep opening is slow rather than dead, and panic mode routes to timed-out nodes when too few are left.
/// Every method that touches node state runs under the state lock; logging and metrics run after it is released.
/// </summary>
public sealed partial class ReadWriteRouter
{
    private volatile bool _replicaPanic;
    private volatile bool _primaryPanic;

    private enum FailureKind
    {
        Refused,
        Timeout,
        Overload,
    }

    /// <summary>True while reads may go to replicas ejected for timeouts (too few replicas are healthy).</summary>
    internal bool ReplicaPanic => _replicaPanic;

    /// <summary>True while writes may go to writable nodes ejected for timeouts (active-active with too few healthy).</summary>
    internal bool PrimaryPanic => _primaryPanic;

    private FailureKind Classify(Exception exception, CancellationToken callerToken)
    {
        if (_classifier is not null && _classifier.IsOverload(exception))
        {
            return FailureKind.Overload;
        }

        return exception is TimeoutException || exception.InnerException is TimeoutException
            || (exception is OperationCanceledException && !callerToken.IsCancellationRequested)
            ? FailureKind.Timeout
            : FailureKind.Refused;
    }

    /// <summary>Applies the policy to an application open that failed; returns the exception to throw when the node is overloaded.</summary>
    private NodeOverloadedException? OnOpenFailure(RoutingNode node, Exception exception, CancellationToken cancellationToken)
    {
        var kind = Classify(exception, cancellationToken);
        if (kind == FailureKind.Overload)
        {
            _metrics.Overloads.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, node.Name));
            RoutingLog.NodeOverloaded(_logger, Name, node.Name, exception);
            return new NodeOverloadedException(
                $"Router '{Name}': node '{node.Name}' refused the connection because it is overloaded ({exception.Message}). "
                + $"The node stays in rotation; retry after {_overloadRetryAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s. "
                + "If it persists, make the pools of all instances together fit the server's max_connections, or add capacity.",
                exception)
            {
                RouterName = Name,
                NodeName = node.Name,
                RetryAfter = _overloadRetryAfter,
            };
        }

        var log = new List<Action>();
        lock (_stateLock)
        {
            TryEject(node, exception.Message, exception, kind == FailureKind.Timeout, _time.GetTimestamp(), log);
            UpdatePanic(log);
        }

        Flush(log);
        return null;
    }

    /// <summary>What a probe that did not answer means for its node.</summary>
    private void ApplyUnanswered(RoutingNode node, Exception? error, long now, long previousCycleStart, List<Action> log)
    {
        var kind = error is null ? FailureKind.Timeout : Classify(error, CancellationToken.None);
        if (kind == FailureKind.Overload)
        {
            if (node.IsHealthy)
            {
                MarkSlow(node, $"its probe was refused for overload ({error!.Message})", error, log);
            }

            return;
        }

        if (kind == FailureKind.Timeout && node.LastSuccessAt >= previousCycleStart)
        {
            // The probe is stuck behind something, yet the application's connections keep opening: the node answers, slowly.
            if (!node.IsHealthy && node.EjectedForTimeout)
            {
                node.IsHealthy = true;
                node.EjectedForTimeout = false;
                log.Add(() => RoutingLog.NodeReinstated(_logger, Name, node.Name));
            }

            if (node.IsHealthy)
            {
                MarkSlow(node, "its probe did not answer within ProbeTimeout, but connections to it kept opening", error, log);
            }

            return;
        }

        TryEject(node, error?.Message ?? "its probe did not answer", error, kind == FailureKind.Timeout, now, log);
    }

    private void TryEject(RoutingNode node, string reason, Exception? error, bool forTimeout, long now, List<Action> log)
    {
        if (!node.IsHealthy)
        {
            // Already out: the cool-down restarts, and a refusal proves it is down, so panic mode stops counting on it.
            node.EjectedAt = now;
            node.EjectedForTimeout &= forTimeout;
            return;
        }

        if (forTimeout && WhyKeep(node) is { } keep)
        {
            MarkSlow(node, $"{reason}; not ejected because {keep}", error, log);
            return;
        }

        node.EjectedAt = now;
        node.EjectedForTimeout = forTimeout;
        node.IsSlow = false;
        node.IsHealthy = false;
        log.Add(() =>
        {
            _metrics.Ejections.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, node.Name));
            RoutingLog.NodeEjected(_logger, Name, node.Name, _cooldown, reason, error);
        });
    }

    /// <summary>Why a node that timed out stays in rotation, or null when it may be ejected.</summary>
    private string? WhyKeep(RoutingNode node)
    {
        var ejected = 0;
        var othersInRole = 0;
        foreach (var other in _nodes)
        {
            if (!other.IsHealthy)
            {
                ejected++;
            }
            else if (other != node && other.Role == node.Role && !other.IsDemoted)
            {
                othersInRole++;
            }
        }

        // Reads fall back to the primary, so the last replica is the last reader only when that fallback is off.
        var lastOfRole = node.Role == NodeRole.Primary || (node.Role == NodeRole.Replica && _whenNoReplica == NoReplicaBehavior.Fail);
        if (lastOfRole && othersInRole == 0)
        {
            return $"it is the last {node.Role.ToString().ToLowerInvariant()} in rotation";
        }

        if ((ejected + 1) * 100 > _maxEjectionPercent * _nodes.Length)
        {
            return $"{ejected} of {_nodes.Length} nodes are already out and MaxEjectionPercent is {_maxEjectionPercent}";
        }

        return null;
    }

    private void MarkSlow(RoutingNode node, string reason, Exception? error, List<Action> log)
    {
        var wasSlow = node.IsSlow;
        node.IsSlow = true;
        log.Add(() =>
        {
            _metrics.SlowProbes.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, node.Name));
            if (!wasSlow)
            {
                RoutingLog.NodeSlow(_logger, Name, node.Name, reason, error);
            }
        });
    }

    /// <summary>Enters or leaves panic mode per role, from the nodes' health now.</summary>
    private void UpdatePanic(List<Action> log)
    {
        var replicas = ShouldPanic(NodeRole.Replica);
        if (replicas != _replicaPanic)
        {
            _replicaPanic = replicas;
            log.Add(replicas ? () => RoutingLog.PanicEntered(_logger, Name, "replica") : () => RoutingLog.PanicLeft(_logger, Name, "replica"));
        }

        var primaries = ShouldPanic(NodeRole.Primary);
        if (primaries != _primaryPanic)
        {
            _primaryPanic = primaries;
            log.Add(primaries ? () => RoutingLog.PanicEntered(_logger, Name, "primary") : () => RoutingLog.PanicLeft(_logger, Name, "primary"));
        }
    }

    private bool ShouldPanic(NodeRole role)
    {
        if (_panicThresholdPercent == 0)
        {
            return false;
        }

        int total = 0, healthy = 0, timedOut = 0;
        foreach (var node in _nodes)
        {
            if (node.Role != role || node.IsDemoted)
            {
                continue;
            }

            total++;
            if (node.IsHealthy)
            {
                healthy++;
            }
            else if (node.EjectedForTimeout)
            {
                timedOut++;
            }
        }

        return timedOut > 0 && healthy * 100 < _panicThresholdPercent * total;
    }

    /// <summary>Opens a connection on a node, through its adaptive limit when there is one.</summary>
    /// <summary>Opens a connection on <paramref name="node"/> synchronously, within its adaptive limit when it has one.</summary>
    private DbConnection OpenOn(RoutingNode node)
    {
        var limiter = node.Limiter;
        if (limiter is null)
        {
            return node.DataSource.OpenConnection();
        }

        if (!limiter.TryAcquire())
        {
            throw LimitReached(node);
        }

        var started = _time.GetTimestamp();
        DbConnection connection;
        try
        {
            connection = node.DataSource.OpenConnection();
        }
        catch
        {
            limiter.Release(started, sample: false);
            throw;
        }

        ConcurrencyLease.AttachOpened(connection, limiter, _time, started);
        return connection;
    }

    private ValueTask<DbConnection> OpenOnAsync(RoutingNode node, CancellationToken cancellationToken) =>
        node.Limiter is { } limiter ? OpenLimitedAsync(node, limiter, cancellationToken) : node.DataSource.OpenConnectionAsync(cancellationToken);

    private async ValueTask<DbConnection> OpenLimitedAsync(RoutingNode node, AdaptiveConcurrencyLimiter limiter, CancellationToken cancellationToken)
    {
        if (!await limiter.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            throw LimitReached(node);
        }

        var started = _time.GetTimestamp();
        DbConnection connection;
        try
        {
            connection = await node.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            limiter.Release(started, sample: false);
            throw;
        }

        ConcurrencyLease.AttachOpened(connection, limiter, _time, started);
        return connection;
    }

    private NodeOverloadedException LimitReached(RoutingNode node)
    {
        _metrics.Overloads.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, node.Name));
        var limiter = node.Limiter!;
        return new NodeOverloadedException(
            $"Router '{Name}': node '{node.Name}' is at its adaptive concurrency limit ({limiter.Limit} operations in flight) and its wait queue is full "
            + $"or the wait ran out; the open was refused to shed load. Retry after {_overloadRetryAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; "
            + "if the node has capacity to spare, raise AdaptiveConcurrency.MaxLimit or MaxQueue.")
        {
            RouterName = Name,
            NodeName = node.Name,
            RetryAfter = _overloadRetryAfter,
        };
    }

    private static async ValueTask DropProbeConnectionAsync(RoutingNode node)
    {
        var connection = node.ProbeConnection;
        node.ProbeConnection = null;
        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                // A broken probe connection may fail to close cleanly; it is being replaced either way.
            }
        }
    }

    private static void Flush(List<Action> log)
    {
        foreach (var entry in log)
        {
            entry();
        }
    }
}
