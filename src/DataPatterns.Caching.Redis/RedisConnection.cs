using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The one shared multiplexer of the caching package (created on first use, or the application's own), and a second one
/// only durable write-back appends use when they wait for replicas or append-only files.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _multiplexer;
    private readonly Lazy<Task<IConnectionMultiplexer>> _acknowledging;
    private readonly bool _owned;
    private readonly TimeSpan _commandBound = Timeout.InfiniteTimeSpan;

    // Set once the connect task has finished, so synchronous callers and disposal never read a task's result.
    private volatile IConnectionMultiplexer? _connected;
    private volatile IConnectionMultiplexer? _acknowledgingConnected;

    public RedisConnection(IOptions<RedisCachingOptions> options, IServiceProvider services)
    {
        var value = options.Value;
        _owned = value.ConnectionMultiplexerFactory is null;
        ConfigurationOptions? configuration = null;
        if (_owned)
        {
            configuration = Configure(value.Configuration!, value.CommandTimeout);
            _commandBound = TimeSpan.FromMilliseconds(configuration.AsyncTimeout) + configuration.HeartbeatInterval;
        }

        _multiplexer = new Lazy<Task<IConnectionMultiplexer>>(() => RememberAsync(value.ConnectionMultiplexerFactory is { } factory
            ? factory(services)
            : ConnectAsync(configuration!)));

        // WAIT and WAITAOF block the connection they run on until replicas answer or the timeout passes, so they get a
        // connection of their own: L2 reads, locks and the backplane never queue behind them. An application that
        // supplies its own multiplexer is asked a second time; returning the same one shares it (its choice).
        _acknowledging = new Lazy<Task<IConnectionMultiplexer>>(async () =>
        {
            var multiplexer = await (value.ConnectionMultiplexerFactory is { } factory
                ? factory(services)
                : ConnectAsync(configuration!.Clone())).ConfigureAwait(false);
            _acknowledgingConnected = multiplexer;
            return multiplexer;
        });
    }

    /// <summary>
    /// How long a command can wait before the multiplexer fails it: its async timeout plus one heartbeat (when timeouts
    /// are checked). Infinite for the application's own multiplexer (unknown), and until the first connect has finished:
    /// a read that waits for the connection is bounded by the connect timeout, not by this.
    /// </summary>
    public TimeSpan ReadBound => _connected is not null ? _commandBound : Timeout.InfiniteTimeSpan;

    /// <summary>The bound of every command of the package's own multiplexer once connected (infinite for the application's).</summary>
    internal TimeSpan CommandBound => _commandBound;

    /// <summary>The package's own multiplexer settings: never hang on connect, fail fast while disconnected, bounded commands.</summary>
    internal static ConfigurationOptions Configure(string configuration, TimeSpan commandTimeout)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;

        // Only the package issues commands on this multiplexer; admin mode lets the durable write-back check read
        // CONFIG GET appendfsync (INFO does not report it).
        options.AllowAdmin = true;
        if (!configuration.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase)
            && !configuration.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            options.AsyncTimeout = (int)Math.Ceiling(commandTimeout.TotalMilliseconds);
        }

        // Timeouts are only noticed on a heartbeat (once a second by default): a tenth of the timeout keeps a command from
        // outliving it by more than 10 %, at the cost of a cheap sweep of the pending commands ten times per timeout.
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(options.AsyncTimeout / 10, 50, 1000));
        return options;
    }

    public Task<IConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    /// <summary>The multiplexer used only for write-back appends that wait for acknowledgement (WAIT / WAITAOF).</summary>
    public Task<IConnectionMultiplexer> GetAcknowledgingAsync() => _acknowledging.Value;

    /// <summary>The multiplexer when it is connected already (for the synchronous <c>IDistributedCache</c> methods).</summary>
    public IConnectionMultiplexer GetConnected()
    {
        _ = _multiplexer.Value;
        return _connected
            ?? throw new InvalidOperationException("The Redis connection of DataPatterns.Caching is still being made; use the asynchronous methods.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned && _connected is { } multiplexer)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        if (_owned && _acknowledgingConnected is { } acknowledging)
        {
            await acknowledging.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_owned && _connected is { } multiplexer)
        {
            multiplexer.Dispose();
        }

        if (_owned && _acknowledgingConnected is { } acknowledging)
        {
            acknowledging.Dispose();
        }
    }

    private async Task<IConnectionMultiplexer> RememberAsync(Task<IConnectionMultiplexer> connecting)
    {
        var multiplexer = await connecting.ConfigureAwait(false);
        _connected = multiplexer;
        return multiplexer;
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(ConfigurationOptions options) =>
        await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
}
