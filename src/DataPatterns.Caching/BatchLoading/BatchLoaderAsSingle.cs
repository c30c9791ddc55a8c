namespace DataPatterns.Caching;

/// <summary>A batch loader asked for one key: single reads of a cache registered with only a batch loader.</summary>
internal sealed class BatchLoaderAsSingle<TKey, TValue>(ICacheBatchLoader<TKey, TValue> batch) : ICacheLoader<TKey, TValue>
    where TKey : notnull
{
    public async ValueTask<TValue?> LoadAsync(TKey key, CancellationToken cancellationToken)
    {
        var values = await batch.LoadManyAsync([key], cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The batch loader {batch.GetType().Name} returned null; return an empty dictionary when no key exists.");
        return values.TryGetValue(key, out var value) ? value : default;
    }
}
