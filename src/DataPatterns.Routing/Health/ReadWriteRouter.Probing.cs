using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;

namespace DataPatterns.Routing;

// Probing: the timer, one probe per node on its own connection, and applying a cycle's answers to the topology
// (health and role of each node, which node is the primary, demotions, lag).
public sealed partial class ReadWriteRouter
{
    private void OnTimer()
    {
        if (_disposed == 0)
        {
            _ = ProbeAsync(CancellationToken.None);
        }
    }

    private async Task RunProbeCycleAsync(TaskCompletionSource completion)
    {
        try
        {
            using var activity = RoutingMetrics.ActivitySource.StartActivity("routing.probe", ActivityKind.Internal);
            activity?.SetTag(RoutingMetrics.RouterTag, Name);
            var previousCycleStart = _lastCycleStart;
            _lastCycleStart = _time.GetTimestamp();
            var results = new ProbeOutcome[_nodes.Length];
            var probes = new Task[_nodes.Length];
            for (var i = 0; i < _nodes.Length; i++)
            {
                probes[i] = ProbeNodeAsync(_nodes[i], results);
            }

            await Task.WhenAll(probes).ConfigureAwait(false);
            Apply(results, previousCycleStart);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || _disposed == 0)
        {
            RoutingLog.ProbeCycleFailed(_logger, Name, ex);
        }
        finally
        {
            completion.TrySetResult();
        }
    }

    private async Task ProbeNodeAsync(RoutingNode node, ProbeOutcome[] results)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_probeTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _disposing.Token);
            var connection = node.ProbeConnection;
            if (connection is null || connection.State != System.Data.ConnectionState.Open)
            {
                // Its own connection, kept open between cycles: a probe never queues behind the application's pool.
                await DropProbeConnectionAsync(node).ConfigureAwait(false);
                connection = node.ProbeConnection = _probe.CreateProbeConnection(node.DataSource);
                await connection.OpenAsync(linked.Token).ConfigureAwait(false);
            }

            var result = await _probe.ProbeAsync(connection, linked.Token).ConfigureAwait(false);
            results[node.Index] = new ProbeOutcome(true, result, null);
        }
        catch (ObjectDisposedException) when (_disposed != 0)
        {
            results[node.Index] = new ProbeOutcome(false, default, null);
        }
        catch (Exception ex) when (ex is DbException or SocketException or TimeoutException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // A connection whose probe failed or was cancelled mid-query is in an unknown state: the next cycle opens a new one.
            await DropProbeConnectionAsync(node).ConfigureAwait(false);
            results[node.Index] = new ProbeOutcome(false, default, ex);
            ClearBrokenConnections(node, ex);
        }
    }

    // A server that went away (stopped, restarted, crashed) broke every connection idle in the node's pool; each would
    // fail one request after the server is back. A timeout says nothing of the kind: a busy node keeps its pool.
    private void ClearBrokenConnections(RoutingNode node, Exception error)
    {
        if (error is OperationCanceledException or TimeoutException)
        {
            return;
        }

        try
        {
            if (_probe.ClearBrokenConnections(node.DataSource, error))
            {
                RoutingLog.PoolCleared(_logger, Name, node.Name, error.Message);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or DbException)
        {
            RoutingLog.PoolClearFailed(_logger, Name, node.Name, ex);
        }
    }

    private void Apply(ProbeOutcome[] results, long previousCycleStart)
    {
        if (_disposed != 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var log = new List<Action>();
        lock (_stateLock)
        {
            // 1. Health and role of every node.
            for (var i = 0; i < _nodes.Length; i++)
            {
                if (results[i].Answered)
                {
                    ApplyAnswered(_nodes[i], results[i].Probe, now, log);
                }
                else
                {
                    ApplyUnanswered(_nodes[i], results[i].Error, now, previousCycleStart, log);
                }
            }

            // 2. Which writable node is the primary (one, unless active-active), and which nodes are demoted.
            var keep = ChoosePrimary(results, log);
            var anyWritable = ApplyDemotions(results, keep, log);
            if (!anyWritable && !_noPrimaryLogged)
            {
                log.Add(() => RoutingLog.NoPrimary(_logger, Name));
            }

            _noPrimaryLogged = !anyWritable;
            UpdatePanic(log);

            // 3. Lag: the primary's positions over time, against each replica's replay position.
            UpdateLag(results, keep, now, log);
        }

        foreach (var entry in log)
        {
            entry();
        }
    }

    /// <summary>A node answered its probe: it is not slow, its role and position are what it said, and an ejected node
    /// comes back once its cool-down has passed (a writable one at once: it may be the only primary).</summary>
    private void ApplyAnswered(RoutingNode node, NodeProbeResult probe, long now, List<Action> log)
    {
        if (node.IsSlow)
        {
            node.IsSlow = false;
            log.Add(() => RoutingLog.NodeNotSlow(_logger, Name, node.Name));
        }

        var writable = probe.IsWritable;
        if (node.ExpectedRole == NodeRole.Primary && !writable && (!node.Probed || node.Role != NodeRole.Replica))
        {
            log.Add(() => RoutingLog.PrimaryIsStandby(_logger, Name, node.Name));
        }

        node.Probed = true;
        node.Role = writable ? NodeRole.Primary : NodeRole.Replica;
        node.SetPosition(probe.LogPosition);
        if (!node.IsHealthy && (writable || _time.GetElapsedTime(node.EjectedAt, now) >= _cooldown))
        {
            node.IsHealthy = true;
            node.EjectedForTimeout = false;
            log.Add(() => RoutingLog.NodeReinstated(_logger, Name, node.Name));
        }
    }

    /// <summary>Keeps the current primary while it answers as one; otherwise takes the writable node furthest ahead.</summary>
    private RoutingNode? ChoosePrimary(ProbeOutcome[] results, List<Action> log)
    {
        var previous = _primary;
        var keep = previous is not null && results[previous.Index].Answered && previous.Role == NodeRole.Primary
            && previous.ExpectedRole != NodeRole.Replica ? previous : null;
        if (keep is null)
        {
            foreach (var node in _nodes)
            {
                if (results[node.Index].Answered && node.Role == NodeRole.Primary && node.ExpectedRole != NodeRole.Replica
                    && (keep is null || node.Position > keep.Position))
                {
                    keep = node;
                }
            }
        }

        if (keep is not null && keep != previous)
        {
            _primary = keep;
            _lag.Reset();
            var from = previous?.Name ?? "(none)";
            if (previous is not null)
            {
                log.Add(() =>
                {
                    _metrics.PrimaryChanges.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingMetrics.NodeTag, keep.Name));
                    RoutingLog.PrimaryChanged(_logger, Name, keep.Name, from);
                });
            }
        }

        return keep;
    }

    /// <summary>
    /// Demotes a declared replica that answers as writable, and (unless active-active) every writable node but the
    /// primary; restores nodes that no longer contradict their role. Returns whether any node can take writes.
    /// </summary>
    private bool ApplyDemotions(ProbeOutcome[] results, RoutingNode? keep, List<Action> log)
    {
        var anyWritable = false;
        foreach (var node in _nodes)
        {
            if (!results[node.Index].Answered)
            {
                // A slow primary that kept its place still takes writes.
                anyWritable |= node.Role == NodeRole.Primary && !node.IsDemoted && node.IsHealthy;
                continue;
            }

            var declaredReplicaWritable = node.ExpectedRole == NodeRole.Replica && node.Role == NodeRole.Primary;
            var secondPrimary = !_activeActive && node.Role == NodeRole.Primary && keep is not null && node != keep;
            var demote = declaredReplicaWritable || secondPrimary;
            if (demote && !node.IsDemoted)
            {
                log.Add(declaredReplicaWritable
                    ? () => RoutingLog.ReplicaIsWritable(_logger, Name, node.Name)
                    : () => RoutingLog.SecondPrimaryDemoted(_logger, Name, node.Name, keep!.Name));
            }
            else if (!demote && node.IsDemoted)
            {
                log.Add(() => RoutingLog.NodeRestored(_logger, Name, node.Name));
            }

            node.IsDemoted = demote;
            anyWritable |= node.Role == NodeRole.Primary && !demote && node.IsHealthy;
        }

        return anyWritable;
    }

    /// <summary>Records the primary's position and measures each answering replica's lag against it.</summary>
    private void UpdateLag(ProbeOutcome[] results, RoutingNode? keep, long now, List<Action> log)
    {
        if (keep is not null && results[keep.Index].Answered)
        {
            _lag.RecordPrimary(now, keep.Position);
        }

        foreach (var node in _nodes)
        {
            if (node.Role != NodeRole.Replica || !results[node.Index].Answered)
            {
                if (node.Role == NodeRole.Primary)
                {
                    node.Lag = TimeSpan.Zero;
                }

                continue;
            }

            var before = node.Lag;
            var lag = _lag.LagOf(node.Position, now, _time);
            if (results[node.Index].Probe.ReportedLag is { } reported && reported > lag)
            {
                lag = reported;
            }

            node.Lag = lag;
            if (lag.Ticks > _maxLagTicks && before.Ticks <= _maxLagTicks)
            {
                log.Add(() => RoutingLog.ReplicaTooFarBehind(_logger, Name, node.Name, lag, TimeSpan.FromTicks(_maxLagTicks)));
            }
        }
    }

    private readonly record struct ProbeOutcome(bool Answered, NodeProbeResult Probe, Exception? Error);
}
