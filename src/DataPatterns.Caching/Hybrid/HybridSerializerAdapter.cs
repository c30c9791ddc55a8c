using System.Buffers;
using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching;

/// <summary>
/// A HybridCache serializer as the engine's. Writing is the same call; reading copies the bytes once, because the engine
/// hands out a span (its read buffer is pooled) and <see cref="IHybridCacheSerializer{T}"/> takes a sequence, which
/// cannot wrap a span. The copy happens on L2 reads only, never on a memory hit.
/// </summary>
internal sealed class HybridSerializerAdapter<T>(IHybridCacheSerializer<T> inner) : ICacheSerializer<T>
{
    public void Serialize(T value, IBufferWriter<byte> destination) => inner.Serialize(value, destination);

    public T? Deserialize(ReadOnlySpan<byte> source) => inner.Deserialize(new ReadOnlySequence<byte>(source.ToArray()));
}
