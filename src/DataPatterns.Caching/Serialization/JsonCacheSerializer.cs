using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace DataPatterns.Caching;

/// <summary>
/// The default serializer: System.Text.Json with the given options (web defaults when none are given). It never reads
/// type names from the data, so stored bytes cannot choose what type is created. For trimmed or AOT applications pass
/// options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a source-generated context.
/// </summary>
/// <typeparam name="T">The serialised type.</typeparam>
public sealed class JsonCacheSerializer<T> : ICacheSerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>Creates the serializer with the web defaults of System.Text.Json (reflection-based).</summary>
    public JsonCacheSerializer()
        : this(JsonSerializerOptions.Web)
    {
    }

    /// <summary>Creates the serializer with <paramref name="options"/>.</summary>
    public JsonCacheSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }

    /// <inheritdoc />
    public void Serialize(T value, IBufferWriter<byte> destination)
    {
        using var writer = new Utf8JsonWriter(destination);
        JsonSerializer.Serialize(writer, value, _typeInfo);
    }

    /// <inheritdoc />
    public T? Deserialize(ReadOnlySpan<byte> source) => JsonSerializer.Deserialize(source, _typeInfo);
}
