namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// The server answered <c>CLIENT_ERROR</c> to <c>flush_all</c>: it runs with flushing disabled (<c>memcached -F</c>). Only
/// that command failed; the connection is sound and the server is not down.
/// </summary>
internal sealed class MemcachedFlushRefusedException(string message) : MemcachedException(message);
