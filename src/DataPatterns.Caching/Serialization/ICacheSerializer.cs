using System.Buffers;

namespace DataPatterns.Caching;

/// <summary>
/// Turns values (and keys) into bytes for the distributed level, the backplane and the durable write-back queue.
/// The default is <see cref="JsonCacheSerializer{T}"/> (System.Text.Json, no type names). Register your own as
/// <c>ICacheSerializer&lt;T&gt;</c> in DI to replace it for a type.
/// </summary>
/// <typeparam name="T">The serialised type.</typeparam>
public interface ICacheSerializer<T>
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    void Serialize(T value, IBufferWriter<byte> destination);

    /// <summary>Reads a value written by <see cref="Serialize"/>.</summary>
    T? Deserialize(ReadOnlySpan<byte> source);
}
