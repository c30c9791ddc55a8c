using System.Globalization;
using StackExchange.Redis;

namespace DataPatterns.Cqrs.Redis;

/// <summary>How readers find the live generation of a Redis read model.</summary>
public static class RedisReadModel
{
    /// <summary>The key of <paramref name="name"/> in the live generation of <paramref name="projectionName"/>.</summary>
    /// <param name="database">The Redis database.</param>
    /// <param name="projectionName">The projection.</param>
    /// <param name="name">The entry, as the projection named it with <see cref="RedisProjectionContext.Key"/>.</param>
    /// <param name="keyPrefix">The store's key prefix.</param>
    /// <returns>The key to read.</returns>
    /// <exception cref="ArgumentException">The prefix is not one a store accepts.</exception>
    public static async Task<RedisKey> LiveKeyAsync(IDatabase database, string projectionName, string name, string keyPrefix = "cqrs:")
    {
        ArgumentNullException.ThrowIfNull(database);
        RedisKeyPrefix.Checked(keyPrefix, nameof(keyPrefix));
        var live = await database.HashGetAsync("{" + keyPrefix + projectionName + "}:meta", "live").ConfigureAwait(false);
        var generation = live.IsNull ? 1 : (int)live;
        return string.Create(CultureInfo.InvariantCulture, $"{{{keyPrefix}{projectionName}}}:g{generation}:{name}");
    }
}
