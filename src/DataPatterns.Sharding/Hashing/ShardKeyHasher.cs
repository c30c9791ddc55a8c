namespace DataPatterns.Sharding;

/// <summary>The built-in stable hashers, chosen by key type.</summary>
/// <typeparam name="TKey">The shard-key type.</typeparam>
public static class ShardKeyHasher<TKey>
{
    /// <summary>
    /// The hasher for <typeparamref name="TKey"/>, or null when the type has no built-in canonical encoding
    /// (then give the shard set an <see cref="IShardKeyHasher{TKey}"/> of your own).
    /// </summary>
    public static IShardKeyHasher<TKey>? Default { get; } = Create();

    private static IShardKeyHasher<TKey>? Create()
    {
        object? hasher = typeof(TKey) switch
        {
            var t when t == typeof(int) => new Int32KeyHasher(),
            var t when t == typeof(long) => new Int64KeyHasher(),
            var t when t == typeof(Guid) => new GuidKeyHasher(),
            var t when t == typeof(string) => new StringKeyHasher(),
            _ => CreateComposite(),
        };
        return (IShardKeyHasher<TKey>?)hasher;
    }

    private static object? CreateComposite()
    {
        var type = typeof(TKey);
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        var arguments = type.GetGenericArguments();
        if (definition == typeof(ValueTuple<,>))
        {
            var hasherType = typeof(TupleKeyHasher<,>).MakeGenericType(arguments);
            return Activator.CreateInstance(hasherType, PartHasher(arguments[0]), PartHasher(arguments[1]));
        }

        if (definition == typeof(ValueTuple<,,>))
        {
            var hasherType = typeof(TupleKeyHasher<,,>).MakeGenericType(arguments);
            return Activator.CreateInstance(hasherType, PartHasher(arguments[0]), PartHasher(arguments[1]), PartHasher(arguments[2]));
        }

        return null;
    }

    private static object PartHasher(Type part)
    {
        var hasher = typeof(ShardKeyHasher<>).MakeGenericType(part).GetProperty(nameof(Default))!.GetValue(null);
        return hasher ?? throw new NotSupportedException(
            $"The composite key part type '{part}' has no built-in stable encoding; implement IShardKeyHasher<{typeof(TKey).Name}> for the whole key.");
    }
}
