namespace DataPatterns.Caching.Memcached.Client;

/// <summary>What a meta command's answer meant.</summary>
internal enum MetaStatus
{
    /// <summary><c>VA</c>: the value was found (and written to the destination).</summary>
    Hit,

    /// <summary><c>EN</c>: no such key.</summary>
    Miss,

    /// <summary><c>HD</c> to <c>ms</c> or <c>md</c>: stored or deleted.</summary>
    Done,

    /// <summary><c>NS</c>: not stored.</summary>
    NotStored,

    /// <summary><c>NF</c>: not found (delete).</summary>
    NotFound,

    /// <summary><c>MN</c>: the answer to <c>mn</c>.</summary>
    Noop,
}

/// <summary>A meta command's answer: its status and, for a hit, the remaining TTL in seconds (-1 for none) and value length.</summary>
internal readonly record struct MetaResult(MetaStatus Status, int RemainingTtl = 0, int ValueLength = 0);
