using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
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
    private readonly TimeSpan _readYourWritesPoll;
    private readonly bool _activeActive;
    private readonly NoReplicaBehavior _whenNoReplica;
    private readonly KeyValuePair<string, object?> _routerTag;
    private readonly RoutingMetrics _metrics;
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
    /// <param name="meterFactory">
    /// Where the router's meter comes from (the host's, so that its metrics are scoped to the container); a meter of the
    /// router's own when null.
    /// </param>
    public ReadWriteRouter(string name, ReadWriteRouterOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
        : this(name, options, timeProvider, loggerFactory, Random.Shared, meterFactory)
    {
    }

    internal ReadWriteRouter(string name, ReadWriteRouterOptions options, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, Random random, IMeterFactory? meterFactory = null)
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
        _readYourWritesPoll = options.ReadYourWritesPollInterval;
        _activeActive = options.ActiveActive;
        _whenNoReplica = options.WhenNoReplica;
        _classifier = options.FailureClassifier;
        _maxEjectionPercent = options.MaxEjectionPercent;
        _panicThresholdPercent = options.PanicThresholdPercent;
        _overloadRetryAfter = options.OverloadRetryAfter;
        _lastCycleStart = _time.GetTimestamp();
        ReadYourWrites = options.ReadYourWrites;
        _routerTag = new(RoutingMetrics.RouterTag, name);
        _metrics = RoutingMetrics.For(meterFactory);

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
        _metrics.Register(this);
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

        using var activity = RoutingMetrics.ActivitySource.StartActivity("routing.open", ActivityKind.Internal);
        activity?.SetTag(RoutingMetrics.RouterTag, Name);
        activity?.SetTag("datapatterns.routing.intent", intent.ToString());
        var connection = intent == RoutingIntent.Write
            ? await OpenPrimaryAsync(countAs: RoutingIntent.Write, reason: null, cancellationToken).ConfigureAwait(false)
            : await OpenReadAsync(intent == RoutingIntent.ReadAfterWrite ? token : ConsistencyToken.None, cancellationToken).ConfigureAwait(false);
        activity?.SetTag(RoutingMetrics.NodeTag, connection.DataSource);
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

        _metrics.Unregister(this);
        if (_metrics.OwnedByRouter)
        {
            _metrics.Dispose();
        }

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

        _metrics.Unregister(this);
        if (_metrics.OwnedByRouter)
        {
            _metrics.Dispose();
        }

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
}
