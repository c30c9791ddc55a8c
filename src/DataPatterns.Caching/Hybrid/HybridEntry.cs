using Microsoft.Extensions.Caching.Hybrid;

namespace DataPatterns.Caching;

/// <summary>One HybridCache call's entry options and tags, checked and mapped onto the engine's terms.</summary>
/// <param name="Duration"><see cref="HybridCacheEntryOptions.Expiration"/>, or null for the cache's Expiration.Duration (with its jitter).</param>
/// <param name="DefaultDuration">The cache's Expiration.Duration, for results that need an explicit one (null values).</param>
/// <param name="MemoryDuration"><see cref="HybridCacheEntryOptions.LocalCacheExpiration"/>: caps the memory copy's lifetime.</param>
/// <param name="Tags">The tags, copied (the caller may reuse its collection).</param>
internal sealed record HybridEntry(TimeSpan? Duration, TimeSpan DefaultDuration, TimeSpan? MemoryDuration, string[]? Tags)
{
    /// <summary>Flags that choose levels: a call with any of them takes the adapter's own path, not the engine's load.</summary>
    public const HybridCacheEntryFlags LevelFlags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCache;

    /// <summary>HybridCache's reserved tag: "every entry", valid for removal only.</summary>
    public const string AllTag = "*";

    private const int MaxTagLength = 256;

    public static HybridEntry Create(HybridCacheEntryOptions? options, IEnumerable<string>? tags, CacheOptions cacheOptions) =>
        new(CheckDuration(options?.Expiration, "Expiration"), cacheOptions.Expiration.Duration, CheckDuration(options?.LocalCacheExpiration, "LocalCacheExpiration"), CopyTags(tags));

    public EntryWriteOptions ToWrite(HybridCacheEntryFlags flags) => new(
        Duration,
        MemoryDuration,
        SkipMemory: (flags & HybridCacheEntryFlags.DisableLocalCacheWrite) != 0,
        SkipDistributed: (flags & HybridCacheEntryFlags.DisableDistributedCacheWrite) != 0);

    /// <summary>
    /// Checks tags without allocating (lists by index), on every call, so that a bad tag fails whether or not the key
    /// happens to be cached.
    /// </summary>
    public static void CheckTags(IEnumerable<string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        if (tags is IReadOnlyList<string> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                CheckTag(list[i], nameof(tags));
            }

            return;
        }

        foreach (var tag in tags)
        {
            CheckTag(tag, nameof(tags));
        }
    }

    /// <summary>Checks a tag given to the removal methods, where "*" is allowed (it means everything).</summary>
    public static void CheckRemovalTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag.Length == 0 || tag.Length > MaxTagLength)
        {
            throw new ArgumentException($"A tag must be a non-empty string of at most {MaxTagLength} characters (this one has {tag.Length}).", nameof(tag));
        }
    }

    private static void CheckTag(string? tag, string parameter)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > MaxTagLength)
        {
            throw new ArgumentException($"A tag must be a non-empty string of at most {MaxTagLength} characters (one is {(tag is null ? "null" : tag.Length + " characters long")}).", parameter);
        }

        if (tag == AllTag)
        {
            throw new ArgumentException("The tag \"*\" is reserved: RemoveByTagAsync(\"*\") removes every entry. Give entries tags of their own.", parameter);
        }
    }

    private static string[]? CopyTags(IEnumerable<string>? tags)
    {
        CheckTags(tags);
        var copy = tags?.Distinct(StringComparer.Ordinal).ToArray();
        return copy is { Length: > 0 } ? copy : null;
    }

    private static TimeSpan? CheckDuration(TimeSpan? duration, string name)
    {
        if (duration is { } value && (value <= TimeSpan.Zero || value > CacheLoadContext.MaxDuration))
        {
            throw new ArgumentOutOfRangeException(
                nameof(duration),
                value,
                $"HybridCacheEntryOptions.{name} must be above zero and at most {CacheLoadContext.MaxDuration.TotalDays:0} days; to keep a result out of a level use HybridCacheEntryFlags.");
        }

        return duration;
    }
}
