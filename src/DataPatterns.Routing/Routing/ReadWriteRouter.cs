using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing;

/// <summary>
/// Hands out connections to one replicated database by intent: writes to the primary, reads to a replica chosen by the
/// policy (healthy, within the lag bound), read-after-write reads to a replica that has replayed a consistency token.
/// It probes every node in the background to learn roles, log positions and lag, ejects failed nodes for a cool-down,
/// and follows a failover to a promoted standby. Plug it into existing code through <see cref="Primary"/> and
/// <see cref="Replica"/> (plain <see cref="DbDataSource"/>s) or a per-request <see cref="RoutingSession"/>.
/// </summary>
public sealed partial class ReadWriteRouter : IAsyncDisposable, IDisposable
{
    private const int MaxStackCandidates = 64;

    private readonly RoutingNode[] _nodes;
    private readonly IRoutingProbe _probe;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NodeSelector _replicaSelector;
    private readonly NodeSelector _primarySelector;
    private readonly LagTracker _lag = new();
    private readonly Lock _stateLock = new();
    private readonly Lock _probeLock = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _disposing = new();
    private readonly ITimer _timer;
    private readonly TimeSpan _probeTimeout;
    private readonly TimeSpan _cooldown;
    private readonly long _maxLagTicks;
    private readonly TimeSpan _readYourWritesWait;
    private readonly bool _activeActive;
    private readonly NoReplicaBehavior _whenNoReplica;
    private readonly KeyValuePair<string, object?> _routerTag;
    private readonly IRoutingFailureClassifier? _classifier;
    private readonly int _maxEjectionPercent;
    private readonly int _panicThresholdPercent;
    private readonly TimeSpan _overloadRetryAfter;
    private long _lastCycleStart;
    private Task? _probeInFlight;
    private RoutingNode? _primary;
    private bool _noPrimaryLogged;
    private int _disposed;

    /// <summary>Creates a router and starts probing its nodes.</summary>
    /// <param name="name">The router's name (the database it routes), for logs, metrics and messages.</param>
    /// <param name="options">The settings; validated here (<see cref="OptionsValidationException"/> lists every problem).</param>
    /// <param name="timeProvider">The clock for probes, cool-downs, lag and waits; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Where the router logs; nowhere when null.</param>
    public ReadWriteRouter(string name, ReadWriteRouterOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(name, options, timeProvider, loggerFactory, Random.Shared)
    {
    }

    internal ReadWriteRouter(string name, ReadWriteRouterOptions options, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, Random random)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        var failures = ReadWriteRouterOptionsValidator.Collect(name.Length == 0 ? "(default)" : name, options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(ReadWriteRouterOptions), failures);
        }

        Name = name;
        _probe = options.Probe!;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<ReadWriteRouter>() ?? (ILogger)NullLogger.Instance;
        _replicaSelector = NodeSelector.Create(options.ReplicaPolicy, random);
        _primarySelector = NodeSelector.Create(options.PrimaryPolicy, random);
        _probeTimeout = options.ProbeTimeout;
        _cooldown = options.EjectionCooldown;
        _maxLagTicks = options.MaxReplicaLag?.Ticks ?? long.MaxValue;
        _readYourWritesWait = options.ReadYourWritesWait;
        _activeActive = options.ActiveActive;
        _whenNoReplica = options.WhenNoReplica;
        _classifier = options.FailureClassifier;
        _maxEjectionPercent = options.MaxEjectionPercent;
        _panicThresholdPercent = options.PanicThresholdPercent;
        _overloadRetryAfter = options.OverloadRetryAfter;
        _lastCycleStart = _time.GetTimestamp();
        ReadYourWrites = options.ReadYourWrites;
        _routerTag = new(RoutingTelemetry.RouterTag, name);

        _nodes = new RoutingNode[options.Nodes.Count];
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = options.Nodes[i];
            _nodes[i] = node.DataSource is { } dataSource
                ? new RoutingNode(i, node, dataSource, ownsDataSource: false, _time)
                : new RoutingNode(i, node, options.ProviderFactory!.CreateDataSource(node.ConnectionString!), ownsDataSource: true, _time);
            if (options.AdaptiveConcurrency.Enabled)
            {
                _nodes[i].Limiter = new AdaptiveConcurrencyLimiter(options.AdaptiveConcurrency, _time);
            }
        }

        Primary = new RoutingDataSource(this, RoutingIntent.Write, session: null);
        Replica = new RoutingDataSource(this, RoutingIntent.Read, session: null);
        RoutingTelemetry.Register(this);
        _ = ProbeAsync(CancellationToken.None).ContinueWith(
            static (_, state) => ((ReadWriteRouter)state!)._ready.TrySetResult(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _timer = _time.CreateTimer(static state => ((ReadWriteRouter)state!).OnTimer(), this, options.ProbeInterval, options.ProbeInterval);
    }

    /// <summary>The router's name.</summary>
    public string Name { get; }

    /// <summary>Whether sessions of this router keep read-your-writes (<see cref="ReadWriteRouterOptions.ReadYourWrites"/>).</summary>
    public bool ReadYourWrites { get; }

    /// <summary>A data source whose connections go to the primary: give it to code that writes.</summary>
    public DbDataSource Primary { get; }

    /// <summary>A data source whose connections go to a replica (eventually consistent, within the lag bound): give it to code that only reads.</summary>
    public DbDataSource Replica { get; }

    /// <summary>Starts a unit of work (one per HTTP request or scope) that keeps read-your-writes across its connections.</summary>
    public RoutingSession CreateSession() => new(this);

    /// <summary>Opens a connection for an intent (read-after-write with no token is a plain read).</summary>
    /// <param name="intent">What the connection is for.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public ValueTask<DbConnection> OpenConnectionAsync(RoutingIntent intent, CancellationToken cancellationToken = default) =>
        OpenConnectionAsync(intent, ConsistencyToken.None, cancellationToken);

    /// <summary>Opens a connection for an intent; a read-after-write read goes to a node that has replayed <paramref name="token"/>.</summary>
    /// <param name="intent">What the connection is for.</param>
    /// <param name="token">The write position the read must see (ignored for other intents).</param>
    /// <param name="cancellationToken">Cancels the open (and any wait for a replica).</param>
    /// <exception cref="NoPrimaryAvailableException">A write (or a fallback read) found no primary, even after probing again.</exception>
    /// <exception cref="NoReplicaAvailableException">No replica could read and <see cref="ReadWriteRouterOptions.WhenNoReplica"/> is Fail.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DbConnection> OpenConnectionAsync(RoutingIntent intent, ConsistencyToken token, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_ready.Task.IsCompleted)
        {
            await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        using var activity = RoutingTelemetry.ActivitySource.StartActivity("routing.open", ActivityKind.Internal);
        activity?.SetTag(RoutingTelemetry.RouterTag, Name);
        activity?.SetTag("datapatterns.routing.intent", intent.ToString());
        var connection = intent == RoutingIntent.Write
            ? await OpenPrimaryAsync(countAs: RoutingIntent.Write, reason: null, cancellationToken).ConfigureAwait(false)
            : await OpenReadAsync(intent == RoutingIntent.ReadAfterWrite ? token : ConsistencyToken.None, cancellationToken).ConfigureAwait(false);
        activity?.SetTag(RoutingTelemetry.NodeTag, connection.DataSource);
        return connection;
    }

    /// <summary>
    /// Creates an unopened connection for an intent, routed now (for code that opens connections itself). A read-after-write
    /// read with a token no replica is known to have replayed goes to the primary (nothing waits here).
    /// </summary>
    /// <param name="intent">What the connection is for.</param>
    /// <param name="token">The write position a read-after-write read must see.</param>
    /// <exception cref="NoPrimaryAvailableException">No primary is known (before the first probe finished, or during a failover).</exception>
    public DbConnection CreateConnection(RoutingIntent intent, ConsistencyToken token = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var node = Route(intent, intent == RoutingIntent.ReadAfterWrite ? token : ConsistencyToken.None, out var fallbackReason);
        var connection = node.DataSource.CreateConnection();
        node.Track(connection);
        if (node.Limiter is { } limiter)
        {
            ConcurrencyLease.AttachUnopened(connection, limiter, _time);
        }

        Count(node, intent == RoutingIntent.Write ? RoutingIntent.Write : RoutingIntent.Read, fallbackReason);
        return connection;
    }

    internal DbConnection CreatePrimaryConnectionForRead(string reason)
    {
        var node = SelectPrimary() ?? throw NoPrimary(null);
        var connection = node.DataSource.CreateConnection();
        node.Track(connection);
        if (node.Limiter is { } limiter)
        {
            ConcurrencyLease.AttachUnopened(connection, limiter, _time);
        }

        Count(node, RoutingIntent.Read, reason);
        return connection;
    }

    /// <summary>What the router knows about each node now.</summary>
    public IReadOnlyList<RoutingNodeState> GetNodes()
    {
        var states = new RoutingNodeState[_nodes.Length];
        for (var i = 0; i < _nodes.Length; i++)
        {
            states[i] = _nodes[i].Snapshot();
        }

        return states;
    }

    /// <summary>Waits until the first probe of every node has finished (so roles are known); call it at start-up to fail fast.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) => _ready.Task.WaitAsync(cancellationToken);

    /// <summary>Probes every node now (or joins the probe already running) and applies what it finds.</summary>
    /// <param name="cancellationToken">Cancels the wait (the probe itself runs to its own timeout).</param>
    public Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource? mine = null;
        Task task;
        lock (_probeLock)
        {
            if (_probeInFlight is { IsCompleted: false } running)
            {
                task = running;
            }
            else
            {
                mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                task = _probeInFlight = mine.Task;
            }
        }

        if (mine is not null)
        {
            _ = RunProbeCycleAsync(mine);
        }

        return task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The primary's current write position, as a consistency token for a later read-after-write read
    /// (costs one round trip to the primary).
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async ValueTask<ConsistencyToken> GetWritePositionAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenPrimaryAsync(countAs: null, reason: null, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await _probe.GetWritePositionAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The write position on an open connection to the primary (for example the one that just committed).</summary>
    /// <param name="primaryConnection">An open connection to the primary.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public ValueTask<ConsistencyToken> CaptureWritePositionAsync(DbConnection primaryConnection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primaryConnection);
        return _probe.GetWritePositionAsync(primaryConnection, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        RoutingTelemetry.Unregister(this);
        _timer.Dispose();
        _disposing.Cancel();
        _disposing.Dispose();
        foreach (var node in _nodes)
        {
            node.ProbeConnection?.Dispose();
            if (node.OwnsDataSource)
            {
                node.DataSource.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        RoutingTelemetry.Unregister(this);
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        _disposing.Dispose();
        foreach (var node in _nodes)
        {
            await DropProbeConnectionAsync(node).ConfigureAwait(false);
            if (node.OwnsDataSource)
            {
                await node.DataSource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    internal RoutingNode[] Nodes => _nodes;

    /// <summary>
    /// The routing decision: allocation-free and lock-free. Returns the node for the intent, or throws when nothing can serve it.
    /// <paramref name="fallbackReason"/> is set when a read goes to the primary.
    /// </summary>
    internal RoutingNode Route(RoutingIntent intent, ConsistencyToken token, out string? fallbackReason)
    {
        fallbackReason = null;
        if (intent == RoutingIntent.Write)
        {
            return SelectPrimary() ?? throw NoPrimary(null);
        }

        if (System.Transactions.Transaction.Current is not null)
        {
            fallbackReason = FallbackReasons.Transaction;
            return SelectPrimary() ?? throw NoPrimary(null);
        }

        if (SelectReplica(token) is { } replica)
        {
            return replica;
        }

        fallbackReason = FallbackReasonFor(token);
        if (fallbackReason == FallbackReasons.NoReplica && _whenNoReplica == NoReplicaBehavior.Fail)
        {
            throw NoReplica();
        }

        return SelectPrimary() ?? throw NoPrimary(null);
    }

    internal RoutingNode? SelectPrimary()
    {
        var nodes = _nodes;
        var panic = PrimaryPanic;
        Span<int> candidates = nodes.Length <= MaxStackCandidates ? stackalloc int[nodes.Length] : new int[nodes.Length];
        var count = 0;
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            if (node.Role == NodeRole.Primary && (node.IsHealthy || (panic && node.EjectedForTimeout)) && !node.IsDemoted)
            {
                candidates[count++] = i;
            }
        }

        return count switch
        {
            0 => null,
            1 => nodes[candidates[0]],
            _ => nodes[_primarySelector.Pick(candidates[..count], nodes)],
        };
    }

    /// <summary>Picks a replica in rotation that has replayed <paramref name="token"/>, skipping the nodes marked in <paramref name="tried"/>.</summary>
    internal RoutingNode? SelectReplica(ConsistencyToken token, bool[]? tried = null)
    {
        var nodes = _nodes;
        var panic = ReplicaPanic;
        Span<int> candidates = nodes.Length <= MaxStackCandidates ? stackalloc int[nodes.Length] : new int[nodes.Length];
        var count = 0;
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            if (node.Role == NodeRole.Replica && (node.IsHealthy || (panic && node.EjectedForTimeout)) && !node.IsDemoted
                && node.Lag.Ticks <= _maxLagTicks && node.Position >= token && (tried is null || !tried[i]))
            {
                candidates[count++] = i;
            }
        }

        return count switch
        {
            0 => null,
            1 => nodes[candidates[0]],
            _ => nodes[_replicaSelector.Pick(candidates[..count], nodes)],
        };
    }

    internal void Count(RoutingNode node, RoutingIntent countAs, string? fallbackReason)
    {
        var nodeTag = new KeyValuePair<string, object?>(RoutingTelemetry.NodeTag, node.Name);
        if (countAs == RoutingIntent.Write)
        {
            RoutingTelemetry.Writes.Add(1, _routerTag, nodeTag);
            return;
        }

        RoutingTelemetry.Reads.Add(1, _routerTag, nodeTag);
        if (fallbackReason is not null)
        {
            RoutingTelemetry.Fallbacks.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingTelemetry.ReasonTag, fallbackReason));
        }
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
                    var connection = await OpenOnAsync(node, cancellationToken).ConfigureAwait(false);
                    node.Track(connection);
                    if (countAs is { } intent)
                    {
                        Count(node, intent, reason);
                    }

                    return connection;
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
                var connection = await OpenOnAsync(node, cancellationToken).ConfigureAwait(false);
                node.Track(connection);
                Count(node, RoutingIntent.Read, null);
                return connection;
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

            var limiter = node.Limiter;
            if (limiter is not null && !limiter.TryAcquire())
            {
                throw LimitReached(node);
            }

            var started = _time.GetTimestamp();
            var connection = node.DataSource.CreateConnection();
            try
            {
                try
                {
                    connection.Open();
                }
                catch when (limiter is not null)
                {
                    limiter.Release(started, sample: false);
                    throw;
                }
            }
            catch (Exception ex) when (IsConnectFailure(ex, CancellationToken.None))
            {
                connection.Dispose();
                failure = ex;
                if (OnOpenFailure(node, ex, CancellationToken.None) is { } overloaded)
                {
                    throw overloaded;
                }

                failed = node;
                (tried ??= new bool[_nodes.Length])[Array.IndexOf(_nodes, node)] = true;
                continue;
            }

            node.Track(connection);
            if (limiter is not null)
            {
                ConcurrencyLease.AttachOpened(connection, limiter, _time, started);
            }

            Count(node, intent == RoutingIntent.Write ? RoutingIntent.Write : RoutingIntent.Read, reason);
            return connection;
        }

        throw NoPrimary(failure);
    }

    /// <summary>
    /// Where the synchronous open goes after <paramref name="failed"/> failed to open: a read tries the replicas not yet
    /// <paramref name="tried"/>, then the primary (or fails, with WhenNoReplica = Fail); any other open routes again unless
    /// the failed node is still selectable (kept under the ejection cap, or panic mode), since choosing it would only wait again.
    /// </summary>
    private RoutingNode? RouteAfterFailure(RoutingNode failed, bool[] tried, RoutingIntent intent, ConsistencyToken token, out string? reason)
    {
        if (failed.Role == NodeRole.Replica && intent != RoutingIntent.Write)
        {
            if (SelectReplica(token, tried) is { } other)
            {
                reason = null;
                return other;
            }

            reason = FallbackReasonFor(token, tried);
            return reason == FallbackReasons.NoReplica && _whenNoReplica == NoReplicaBehavior.Fail ? throw NoReplica() : SelectPrimary();
        }

        var panic = failed.Role == NodeRole.Primary ? PrimaryPanic : ReplicaPanic;
        if (failed.IsHealthy || (panic && failed.EjectedForTimeout))
        {
            reason = FallbackReasons.NoReplica;
            return null;
        }

        return Route(intent, token, out reason);
    }

    internal string DescribeConnectionString(RoutingIntent intent)
    {
        var node = intent == RoutingIntent.Write ? SelectPrimary() : SelectReplica(ConsistencyToken.None) ?? SelectPrimary();
        return node?.DataSource.ConnectionString ?? "";
    }

    private async ValueTask<DbConnection?> WaitForReplayAsync(RoutingNode node, ConsistencyToken token, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        DbConnection? connection = null;
        try
        {
            connection = await OpenOnAsync(node, cancellationToken).ConfigureAwait(false);
            node.LastSuccessAt = _time.GetTimestamp();
            while (true)
            {
                var replayed = await _probe.GetReplayPositionAsync(connection, cancellationToken).ConfigureAwait(false);
                node.ObservePosition(replayed);
                if (replayed >= token)
                {
                    node.Track(connection);
                    Count(node, RoutingIntent.Read, null);
                    var ready = connection;
                    connection = null;
                    return ready;
                }

                var remaining = _readYourWritesWait - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    return null;
                }

                var pause = TimeSpan.FromMilliseconds(2);
                await Task.Delay(remaining < pause ? remaining : pause, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NodeOverloadedException)
        {
            // The replica's limit is full: the read still has the primary to go to.
            return null;
        }
        catch (Exception ex) when (IsConnectFailure(ex, cancellationToken))
        {
            // Overloaded or not, the read still has the primary to go to.
            _ = OnOpenFailure(node, ex, cancellationToken);
            return null;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private string FallbackReasonFor(ConsistencyToken token, bool[]? tried = null) =>
        !token.IsNone && SelectReplica(ConsistencyToken.None, tried) is not null ? FallbackReasons.ReadYourWrites : FallbackReasons.NoReplica;

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
            using var activity = RoutingTelemetry.ActivitySource.StartActivity("routing.probe", ActivityKind.Internal);
            activity?.SetTag(RoutingTelemetry.RouterTag, Name);
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
                var node = _nodes[i];
                var outcome = results[i];
                if (!outcome.Answered)
                {
                    ApplyUnanswered(node, outcome.Error, now, previousCycleStart, log);
                    continue;
                }

                if (node.IsSlow)
                {
                    node.IsSlow = false;
                    log.Add(() => RoutingLog.NodeNotSlow(_logger, Name, node.Name));
                }

                var writable = outcome.Probe.IsWritable;
                if (node.ExpectedRole == NodeRole.Primary && !writable && (!node.Probed || node.Role != NodeRole.Replica))
                {
                    log.Add(() => RoutingLog.PrimaryIsStandby(_logger, Name, node.Name));
                }

                node.Probed = true;
                node.Role = writable ? NodeRole.Primary : NodeRole.Replica;
                node.SetPosition(outcome.Probe.LogPosition);
                if (!node.IsHealthy && (writable || _time.GetElapsedTime(node.EjectedAt, now) >= _cooldown))
                {
                    node.IsHealthy = true;
                    node.EjectedForTimeout = false;
                    log.Add(() => RoutingLog.NodeReinstated(_logger, Name, node.Name));
                }
            }

            // 2. Which writable node is the primary (one, unless active-active).
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
                        RoutingTelemetry.PrimaryChanges.Add(1, _routerTag, new KeyValuePair<string, object?>(RoutingTelemetry.NodeTag, keep.Name));
                        RoutingLog.PrimaryChanged(_logger, Name, keep.Name, from);
                    });
                }
            }

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

            if (!anyWritable && !_noPrimaryLogged)
            {
                log.Add(() => RoutingLog.NoPrimary(_logger, Name));
            }

            _noPrimaryLogged = !anyWritable;
            UpdatePanic(log);

            // 3. Lag: the primary's positions over time, against each replica's replay position.
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
                node.Lag = lag;
                if (lag.Ticks > _maxLagTicks && before.Ticks <= _maxLagTicks)
                {
                    log.Add(() => RoutingLog.ReplicaTooFarBehind(_logger, Name, node.Name, lag, TimeSpan.FromTicks(_maxLagTicks)));
                }
            }
        }

        foreach (var entry in log)
        {
            entry();
        }
    }

    private readonly record struct ProbeOutcome(bool Answered, NodeProbeResult Probe, Exception? Error);
}

/// <summary>Why a read went to the primary (the <c>datapatterns.routing.reason</c> tag of the fallback counter).</summary>
internal static class FallbackReasons
{
    public const string NoReplica = "no_replica";
    public const string ReadYourWrites = "read_your_writes";
    public const string Transaction = "transaction";
}
