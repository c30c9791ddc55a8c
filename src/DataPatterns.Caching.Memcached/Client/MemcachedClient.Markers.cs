using System.Buffers;
using System.Buffers.Binary;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// Keys kept on every server rather than on the one the ring picks: the cache's tag-removal and clear markers. A missing
/// marker reads as "never removed", so one held by a single server would bring removed entries on the other servers back
/// when that server dies, is flushed, evicts it or is marked down. Written to every usable server and read from all of
/// them, the greatest answer wins: one surviving copy keeps the removal in force.
/// </summary>
internal sealed partial class MemcachedClient
{
    /// <summary>The size of a marker: a Unix time in milliseconds, little-endian.</summary>
    private const int MarkerLength = sizeof(long);

    /// <summary><c>ms</c> of <paramref name="key"/> on every usable server; fails when any of them fails.</summary>
    public async ValueTask SetOnEveryServerAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        var servers = UsableServers(key);
        var writes = new Task<MetaResult>[servers.Count];
        for (var i = 0; i < servers.Count; i++)
        {
            writes[i] = ExecuteOnAsync(servers[i], MetaCommand.Set(key, value, TtlFlagOf(ttl)), cancellationToken).AsTask();
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <summary><c>md</c> of <paramref name="key"/> on every usable server.</summary>
    public async ValueTask DeleteOnEveryServerAsync(string key, CancellationToken cancellationToken = default)
    {
        var servers = UsableServers(key);
        await Task.WhenAll(servers.Select(s => ExecuteOnAsync(s, MetaCommand.Delete(key), cancellationToken).AsTask())).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>mg</c> of <paramref name="key"/> on every usable server: the greatest 8-byte value (as a little-endian Int64),
    /// or any answer that is not 8 bytes (the cache reads a malformed marker as "removed now", the safe side); null when
    /// no server holds it. A server that fails is left out as long as another answers, since every marker write went
    /// to all usable servers; when none answers, the failure is the caller's.
    /// </summary>
    public async ValueTask<byte[]?> GetGreatestAsync(string key, CancellationToken cancellationToken = default)
    {
        var servers = UsableServers(key);
        var buffers = new ArrayBufferWriter<byte>[servers.Count];
        var reads = new Task<MetaResult>[servers.Count];
        for (var i = 0; i < servers.Count; i++)
        {
            buffers[i] = new ArrayBufferWriter<byte>(MarkerLength);
            reads[i] = ExecuteOnAsync(servers[i], MetaCommand.Get(key, buffers[i]), cancellationToken).AsTask();
        }

        try
        {
            await Task.WhenAll(reads).ConfigureAwait(false);
        }
        catch (Exception) when (reads.Any(r => r.IsCompletedSuccessfully))
        {
            // Some servers answered: their copies decide (see above).
        }

        byte[]? greatest = null;
        for (var i = 0; i < reads.Length; i++)
        {
            if (!reads[i].IsCompletedSuccessfully || reads[i].Result.Status != MetaStatus.Hit)
            {
                continue;
            }

            var value = buffers[i].WrittenSpan;
            if (value.Length != MarkerLength)
            {
                return value.ToArray();
            }

            if (greatest is null || BinaryPrimitives.ReadInt64LittleEndian(value) > BinaryPrimitives.ReadInt64LittleEndian(greatest))
            {
                greatest = value.ToArray();
            }
        }

        return greatest;
    }

    /// <summary>The servers commands may go to now; fails as an ordinary command would when every one is down.</summary>
    private List<MemcachedServer> UsableServers(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = Time.GetTimestamp();
        var usable = _servers.Where(s => s.IsUsable(now)).ToList();
        return usable.Count > 0
            ? usable
            : throw new MemcachedServerUnavailableException(
                $"Every Memcached server ({string.Join(", ", _servers.Select(s => s.Endpoint.Name))}) is marked down; each is retried {Options.RetryDownServerAfter} after it failed.");
    }
}
