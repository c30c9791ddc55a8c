namespace DataPatterns.Caching;

/// <summary>
/// A HybridCache caller's factory and state as the engine's loader, with what the call's entry options decide about the
/// result. Made only on a miss (or a due refresh), never on a memory hit.
/// </summary>
internal sealed class HybridFactoryLoader<TState, T> : ICacheLoader<string, T>
{
    private readonly TState _state;
    private readonly Func<TState, CancellationToken, ValueTask<T>> _factory;
    private readonly HybridEntry _entry;

    public HybridFactoryLoader(TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridEntry entry)
    {
        _state = state;
        _factory = factory;
        _entry = entry;
    }

    public ValueTask<T?> LoadAsync(string key, CancellationToken cancellationToken) =>
        LoadAsync(key, new CacheLoadContext(), cancellationToken);

    public async ValueTask<T?> LoadAsync(string key, CacheLoadContext context, CancellationToken cancellationToken)
    {
        var value = await _factory(_state, cancellationToken).ConfigureAwait(false);

        // HybridCache caches a null like any value; the engine calls it "not found", cached only with a duration of its
        // own, so a null always gets one (the cache's Duration unless the call set Expiration).
        context.Duration = _entry.Duration ?? (value is null ? _entry.DefaultDuration : null);
        context.MemoryDuration = _entry.MemoryDuration;
        context.Tags = _entry.Tags;
        return value;
    }
}
