namespace DataPatterns.Caching;

/// <summary>
/// Where a cache's data and its own bookkeeping live in the shared store (layout 2). Every name is
/// <c>{application}:{cache}:{kind}</c> followed, for the kinds that carry one, by a user string:
/// <list type="bullet">
/// <item><c>data:</c> + key: the entries (the only kind a cache key reaches)</item>
/// <item><c>tag:</c> + tag: when a tag was last invalidated</item>
/// <item><c>lock:</c> + key: the cross-process stampede lock of a key</item>
/// <item><c>writeback</c>: the durable write-back stream (no user part)</item>
/// <item><c>clear</c>: when the cache was last cleared (no user part)</item>
/// </list>
/// </summary>
/// <remarks>
/// Application and cache names hold no ':' (<see cref="IsValidName"/>), so the first two separators are always theirs;
/// the kinds form a prefix-free set, so the kind is always read back the same way; what follows is the user string
/// verbatim. Hence the map from (application, cache, kind, user string) to a name is injective: no key, tag or cache
/// name a user chooses can produce the name of another entry, another cache's entry or the library's own keys.
/// Layout 1 put data keys directly after <c>{application}:{cache}:</c>, where a key such as "writeback" or "tag:x"
/// reached the library's own names. The stream keeps its layout-1 name, so writes queued before an upgrade are still
/// flushed after it.
/// </remarks>
internal static class CacheKeyLayout
{
    /// <summary>The layout these names follow; entries written in it carry it as their format version.</summary>
    public const byte Version = 2;

    public const string DataKind = "data:";
    public const string TagKind = "tag:";
    public const string LockKind = "lock:";
    public const string WriteBackKind = "writeback";
    public const string ClearKind = "clear";

    /// <summary>Whether <paramref name="name"/> may be an application or cache name: non-empty ASCII letters, digits, '.', '-', '_'.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public static string DataPrefix(string applicationName, string cacheName) => CachePrefix(applicationName, cacheName) + DataKind;

    public static string TagPrefix(string applicationName, string cacheName) => CachePrefix(applicationName, cacheName) + TagKind;

    public static string LockPrefix(string applicationName, string cacheName) => CachePrefix(applicationName, cacheName) + LockKind;

    public static string WriteBackStream(string applicationName, string cacheName) => CachePrefix(applicationName, cacheName) + WriteBackKind;

    public static string ClearMarker(string applicationName, string cacheName) => CachePrefix(applicationName, cacheName) + ClearKind;

    /// <summary>
    /// Whether the stored name <paramref name="storedName"/> is a tag-removal or clear marker: what follows the second
    /// ':' starts with <see cref="TagKind"/> or is <see cref="ClearKind"/>. Unambiguous because the first two separators
    /// are always the application's and the cache's and the kinds are prefix-free (see the remarks), so a data key such
    /// as "tag:x" lives under <c>data:tag:x</c> and is never taken for a marker. Stores that spread keys over servers
    /// use it to keep markers on every server, since a lost marker brings removed entries back.
    /// </summary>
    public static bool IsMarker(string storedName)
    {
        ArgumentNullException.ThrowIfNull(storedName);
        var first = storedName.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : storedName.IndexOf(':', first + 1);
        if (second < 0)
        {
            return false;
        }

        var kind = storedName.AsSpan(second + 1);
        return kind.StartsWith(TagKind, StringComparison.Ordinal) || kind.SequenceEqual(ClearKind);
    }

    /// <summary>The backplane's pub/sub channel (channels are not keys: no key can reach it).</summary>
    public static string BackplaneChannel(string applicationName) => applicationName + ":backplane";

    private static string CachePrefix(string applicationName, string cacheName) => applicationName + ":" + cacheName + ":";
}
