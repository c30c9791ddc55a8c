using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>The one shared multiplexer of the caching package (created on first use, or the application's own).</summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _multiplexer;
    private readonly bool _owned;

    public RedisConnection(IOptions<RedisCachingOptions> options, IServiceProvider services)
    {
        var value = options.Value;
        _owned = value.ConnectionMultiplexerFactory is null;
        _multiplexer = new Lazy<Task<IConnectionMultiplexer>>(() => value.ConnectionMultiplexerFactory is { } factory
            ? factory(services)
            : ConnectAsync(value.Configuration!));
    }

    public Task<IConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    /// <summary>The multiplexer when it is connected already (for the synchronous <c>IDistributedCache</c> methods).</summary>
    public IConnectionMultiplexer GetConnected()
    {
        var task = _multiplexer.Value;
        return task.IsCompletedSuccessfully
            ? task.Result
            : throw new InvalidOperationException("The Redis connection of DataPatterns.Caching is still being made; use the asynchronous methods.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned && _multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (_owned && _multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            _multiplexer.Value.Result.Dispose();
        }
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }
}
