using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace DataPatterns.Routing.Tests;

/// <summary>A pretend node: its role, its log position, whether it answers.</summary>
internal sealed class FakeNode(string name) : DbDataSource
{
    public string Name { get; } = name;

    public bool Writable { get; set; }

    public bool Down { get; set; }

    /// <summary>Accepts the connection but never answers (a paused or overloaded server).</summary>
    public bool Hangs { get; set; }

    /// <summary>Opens connections, but its probe query never answers (a probe stuck behind a saturated server).</summary>
    public bool ProbeHangs { get; set; }

    /// <summary>Refuses new connections for overload (a server out of connection slots, or an exhausted pool).</summary>
    public bool Overloaded { get; set; }

    /// <summary>Every open fails with a timeout (a black-holed host).</summary>
    public bool OpenTimesOut { get; set; }

    public int OpenAttempts { get; set; }

    public ulong Position { get; set; }

    /// <summary>How far the position moves each time a replay position is asked (a replica catching up during a wait).</summary>
    public ulong AdvanceOnReplayQuery { get; set; }

    public int Opens { get; set; }

    public override string ConnectionString => $"Host={Name}";

    protected override DbConnection CreateDbConnection() => new FakeConnection(this);

    public static FakeNode Primary(string name, ulong position = 100) => new(name) { Writable = true, Position = position };

    public static FakeNode Replica(string name, ulong position = 100) => new(name) { Position = position };
}

internal sealed class FakeConnection(FakeNode node) : DbConnection
{
    private ConnectionState _state;

    public FakeNode Node { get; } = node;

    [AllowNull]
    public override string ConnectionString { get; set; } = node.ConnectionString;

    public override string Database => "fake";

    public override string DataSource => Node.Name;

    public override string ServerVersion => "1";

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Open()
    {
        Node.OpenAttempts++;
        if (Node.OpenTimesOut)
        {
            throw new TimeoutException($"{Node.Name} did not answer the connect");
        }

        if (Node.Down)
        {
            throw new FakeDbException($"{Node.Name} is down");
        }

        if (Node.Overloaded)
        {
            throw new FakeOverloadException($"{Node.Name}: sorry, too many clients already");
        }

        Node.Opens++;
        _state = ConnectionState.Open;
        OnStateChange(new StateChangeEventArgs(ConnectionState.Closed, ConnectionState.Open));
    }

    public override Task OpenAsync(CancellationToken cancellationToken)
    {
        if (Node.Hangs)
        {
            return Task.Delay(Timeout.Infinite, cancellationToken);
        }

        Open();
        return Task.CompletedTask;
    }

    public override void Close()
    {
        if (_state == ConnectionState.Open)
        {
            _state = ConnectionState.Closed;
            OnStateChange(new StateChangeEventArgs(ConnectionState.Open, ConnectionState.Closed));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }

        base.Dispose(disposing);
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => throw new NotSupportedException();

    protected override DbCommand CreateDbCommand() => throw new NotSupportedException();
}

internal sealed class FakeDbException(string message) : DbException(message);

internal sealed class FakeOverloadException(string message) : DbException(message);

/// <summary>Knows the fake overload refusal, as a provider's classifier knows its client's.</summary>
internal sealed class FakeClassifier : IRoutingFailureClassifier
{
    public bool IsOverload(Exception exception) => exception is FakeOverloadException;
}

/// <summary>Answers from the fake node behind the connection.</summary>
internal sealed class FakeProbe : IRoutingProbe
{
    public int WritePositionQueries { get; private set; }

    public async ValueTask<NodeProbeResult> ProbeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var node = ((FakeConnection)connection).Node;
        if (node.Down)
        {
            throw new FakeDbException($"{node.Name} is down");
        }

        if (node.Hangs || node.ProbeHangs)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (node.Overloaded)
        {
            throw new FakeOverloadException($"{node.Name}: sorry, too many clients already");
        }

        return new NodeProbeResult(node.Writable, new ConsistencyToken(node.Position));
    }

    public ValueTask<ConsistencyToken> GetWritePositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        WritePositionQueries++;
        return ValueTask.FromResult(new ConsistencyToken(((FakeConnection)connection).Node.Position));
    }

    public int ReplayQueries => Volatile.Read(ref _replayQueries);

    /// <summary>The nodes whose pool the router asked to clear, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Cleared { get; } = new();

    /// <summary>When set, clearing a pool throws, as a disposed data source would.</summary>
    public bool ClearThrows { get; set; }

    public bool ClearBrokenConnections(DbDataSource nodeDataSource, Exception probeError)
    {
        Cleared.Enqueue(((FakeNode)nodeDataSource).Name);
        ObjectDisposedException.ThrowIf(ClearThrows, nodeDataSource);
        return true;
    }

    private int _replayQueries;

    public ValueTask<ConsistencyToken> GetReplayPositionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _replayQueries);
        var node = ((FakeConnection)connection).Node;
        var position = node.Position;
        node.Position += node.AdvanceOnReplayQuery;
        return ValueTask.FromResult(new ConsistencyToken(position));
    }
}

/// <summary>Builds a router over fake nodes with a fake clock; nothing runs in the background (the probe interval is a day).</summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    public FakeCluster(Action<ReadWriteRouterOptions>? configure = null, int seed = 7, string name = "test", Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null, params FakeNode[] nodes)
    {
        Nodes = nodes.Length > 0 ? nodes : [FakeNode.Primary("primary"), FakeNode.Replica("replica-1"), FakeNode.Replica("replica-2")];
        Options = new ReadWriteRouterOptions
        {
            Probe = Probe,
            FailureClassifier = new FakeClassifier(),
            ProbeInterval = TimeSpan.FromDays(1),
            ProbeTimeout = TimeSpan.FromDays(1),
            EjectionCooldown = TimeSpan.FromSeconds(5),
            MaxReplicaLag = TimeSpan.FromSeconds(2),
        };
        foreach (var node in Nodes)
        {
            Options.AddNode(node.Name, node);
        }

        configure?.Invoke(Options);
        Router = new ReadWriteRouter(name, Options, Time, loggerFactory, new Random(seed), meterFactory);
    }

    public FakeNode[] Nodes { get; }

    public FakeProbe Probe { get; } = new();

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public ReadWriteRouterOptions Options { get; }

    public ReadWriteRouter Router { get; }

    public FakeNode this[string name] => Nodes.Single(n => n.Name == name);

    public async Task<string> ReadAsync(RoutingIntent intent = RoutingIntent.Read, ConsistencyToken token = default)
    {
        await using var connection = await Router.OpenConnectionAsync(intent, token);
        return ((FakeConnection)connection).Node.Name;
    }

    public async Task<string> WriteAsync()
    {
        await using var connection = await Router.OpenConnectionAsync(RoutingIntent.Write);
        return ((FakeConnection)connection).Node.Name;
    }

    public RoutingNodeState State(string name) => Router.GetNodes().Single(n => n.Name == name);

    public ValueTask DisposeAsync() => Router.DisposeAsync();
}

/// <summary>Keeps every log line, for tests that check a problem is logged visibly.</summary>
internal sealed class CapturingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
{
    public System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, int EventId, string Message)> Lines { get; } = new();

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}
