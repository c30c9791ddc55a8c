using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// Appends one write to a write-back stream with an id that never goes below one this process has seen, and, when asked,
/// waits (in the same round trip, on a connection of its own) until replicas or append-only files hold it.
/// </summary>
/// <remarks>
/// <para>
/// Stream ids are write-back versions, and a database with a versioned writer drops a write whose version is below the
/// row's. Ids the server picks (<c>*</c>) follow the server's clock and restart from it when the stream is lost (a Redis
/// restart without persistence, a failover to a replica that had not received it): a server whose clock is behind the
/// one before would then hand out versions below those already in the database, and the newer writes would be dropped
/// as stale. So the id's milliseconds come from the application's clock, never below the highest version this process
/// has appended or read; within one stream Redis still orders them (an id below the stream's top takes the top's
/// millisecond instead). Across a lost stream, versions are then as ordered as the application instances' clocks.
/// </para>
/// <para>
/// Appends from concurrent writers to one stream are group-committed (<see cref="RedisWriteBackGroupCommit"/>): one
/// script call appends the batch in order, each entry under the same rules as a lone one (its floor is the entry before
/// it), and one WAIT covers them all.
/// </para>
/// </remarks>
internal sealed class RedisWriteBackAppender
{
    // ARGV: 1 milliseconds, 2 the highest sequence already seen in that millisecond (-1 if none), then key and value of
    // each entry. Each entry is appended as a lone append would be, with the entry before it as its floor (the ids of one
    // call are strictly increasing); the reply is the ids in order.
    private const string AppendScript = """
        local function append(ms, floor, k, v)
          local id = redis.pcall('XADD', KEYS[1], ms .. '-*', 'k', k, 'v', v)
          if type(id) == 'table' then
            local info = redis.call('XINFO', 'STREAM', KEYS[1])
            local last = '0-0'
            for i = 1, #info, 2 do
              if info[i] == 'last-generated-id' then last = info[i + 1] end
            end
            return redis.call('XADD', KEYS[1], string.match(last, '^(%d+)') .. '-*', 'k', k, 'v', v)
          end
          local idms, seq = string.match(id, '^(%d+)-(%d+)$')
          if idms == ms and tonumber(seq) <= floor then
            redis.call('XDEL', KEYS[1], id)
            id = redis.call('XADD', KEYS[1], ms .. '-' .. (floor + 1), 'k', k, 'v', v)
          end
          return id
        end
        local ms, floor = ARGV[1], tonumber(ARGV[2])
        local ids = {}
        for i = 3, #ARGV, 2 do
          local id = append(ms, floor, ARGV[i], ARGV[i + 1])
          ids[#ids + 1] = id
          local idms, seq = string.match(id, '^(%d+)-(%d+)$')
          ms, floor = idms, tonumber(seq)
        end
        return ids
        """;

    private const int SequenceBits = 20;
    private readonly RedisWriteBackDurabilityOptions _options;
    private readonly TimeProvider _time;
    private readonly RedisWriteBackBatchLimits _limits;
    private readonly ConcurrentDictionary<RedisKey, RedisWriteBackGroupCommit> _streams = new();
    private long _floor;
    private long _batches;

    public RedisWriteBackAppender(RedisWriteBackDurabilityOptions options, TimeProvider time, RedisWriteBackBatchLimits? limits = null)
    {
        _options = options;
        _time = time;
        _limits = limits ?? RedisWriteBackBatchLimits.Default;
        if (options.RequiredReplicas > 0 || options.WaitForAppendOnlyFile)
        {
            // A batch sent behind another's WAIT runs only once that WAIT returns, so it gains nothing from going early,
            // and its reply would take two ReplicaTimeouts while replicas are down: past the command timeout.
            _limits = _limits with { MaxInFlight = 1 };
        }
    }

    /// <summary>The highest version this process has appended or read.</summary>
    public long Floor => Volatile.Read(ref _floor);

    /// <summary>Script calls sent so far (each one batch of appends).</summary>
    internal long Batches => Interlocked.Read(ref _batches);

    /// <summary>Raises the floor to <paramref name="version"/> (a version read from the stream).</summary>
    public void Observe(long version)
    {
        var current = Volatile.Read(ref _floor);
        while (version > current)
        {
            var seen = Interlocked.CompareExchange(ref _floor, version, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Appends and returns the entry's stream id, once the batch it went in is appended (and acknowledged when the
    /// durability options ask for it). When the append must wait for acknowledgement, <paramref name="multiplexer"/> is
    /// the one kept for such appends, because WAIT holds its connection until replicas answer.
    /// </summary>
    public Task<string> AppendAsync(IConnectionMultiplexer multiplexer, RedisKey stream, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
        _streams.GetOrAdd(stream, static (s, self) => new RedisWriteBackGroupCommit(self, s, self._limits), this)
            .AppendAsync(multiplexer, key, value, cancellationToken);

    /// <summary>Appends <paramref name="batch"/> in one script call (and one WAIT); returns the ids in order, or throws for all.</summary>
    internal async Task<string[]> AppendBatchAsync(IConnectionMultiplexer multiplexer, RedisKey stream, IReadOnlyList<RedisWriteBackBatchEntry> batch)
    {
        var (milliseconds, sequence) = Candidate();
        var arguments = new RedisValue[2 + (2 * batch.Count)];
        arguments[0] = milliseconds.ToString(CultureInfo.InvariantCulture);
        arguments[1] = sequence.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < batch.Count; i++)
        {
            arguments[2 + (2 * i)] = batch[i].Key;
            arguments[3 + (2 * i)] = batch[i].Value;
        }

        // The wait is queued right behind the append, before either reply, on the connection to the stream's master
        // (found from the key's slot locally, no round trip): one round trip, and WAIT covers every entry of the batch
        // because it follows the script on that connection. WAIT then holds that connection, which is why batches of
        // one stream go one at a time and the appends arriving meanwhile share the next WAIT; reads never share it.
        Interlocked.Increment(ref _batches);
        var append = multiplexer.GetDatabase().ScriptEvaluateAsync(AppendScript, [stream], arguments);
        Task<RedisResult>? wait = null;
        if (_options.RequiredReplicas > 0 || _options.WaitForAppendOnlyFile)
        {
            var server = multiplexer.GetServer(stream);
            var timeout = (long)Math.Ceiling(_options.ReplicaTimeout.TotalMilliseconds);
            wait = _options.WaitForAppendOnlyFile
                ? server.ExecuteAsync("WAITAOF", 1, _options.RequiredReplicas, timeout)
                : server.ExecuteAsync("WAIT", _options.RequiredReplicas, timeout);
        }

        var ids = ReadIds(await append.ConfigureAwait(false), batch.Count);
        Observe(RedisWriteBackStore.VersionOf(ids[^1])); // the last id is the highest
        if (wait is not null)
        {
            var reply = await wait.ConfigureAwait(false);
            Check(reply, ids.Length == 1 ? ids[0] : $"{ids[0]} to {ids[^1]} ({ids.Length} appended together)");
        }

        return ids;
    }

    /// <summary>
    /// The batch's stream ids, one per entry in order. A reply of another shape (a damaged or foreign server) fails the
    /// batch: every caller is told its write failed, none is given an id it did not get.
    /// </summary>
    private static string[] ReadIds(RedisResult reply, int expected)
    {
        string[]? ids = reply.Resp2Type == ResultType.Array ? (string[]?)reply : null;
        if (ids is null || ids.Length != expected || Array.Exists(ids, string.IsNullOrEmpty))
        {
            throw new RedisException($"Redis answered the append of {expected} write-back entries with {(ids is null ? "no list of ids" : $"{ids.Length} ids")}; the writes are reported as failed (they may or may not be in the stream).");
        }

        return ids;
    }

    private (long Milliseconds, long Sequence) Candidate()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var floor = Floor;
        var floorMilliseconds = floor >> SequenceBits;
        return now > floorMilliseconds ? (now, -1) : (floorMilliseconds, floor & ((1L << SequenceBits) - 1));
    }

    private void Check(RedisResult reply, string id)
    {
        long replicas;
        if (_options.WaitForAppendOnlyFile)
        {
            var counts = (RedisResult[])reply!;
            var local = (long)counts[0];
            replicas = (long)counts[1];
            if (local < 1)
            {
                throw new RedisWriteBackNotReplicatedException(
                    $"The write-back entry {id} was not written to the master's append-only file within {_options.ReplicaTimeout.TotalMilliseconds} ms (WAITAOF); it was not acknowledged. Retry the write.")
                { RequiredReplicas = _options.RequiredReplicas, AcknowledgedReplicas = (int)replicas };
            }
        }
        else
        {
            replicas = (long)reply;
        }

        if (replicas < _options.RequiredReplicas)
        {
            throw new RedisWriteBackNotReplicatedException(
                $"The write-back entry {id} reached {replicas} of the {_options.RequiredReplicas} replicas WriteBackDurability.RequiredReplicas asks for within ReplicaTimeout ({_options.ReplicaTimeout.TotalMilliseconds} ms); it was not acknowledged. Retry the write once the replicas are back, or lower RequiredReplicas.")
            { RequiredReplicas = _options.RequiredReplicas, AcknowledgedReplicas = (int)replicas };
        }
    }
}
