using System.Globalization;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// Appends one write to a write-back stream with an id that never goes below one this process has seen, and, when asked,
/// waits (in the same round trip, on a connection of its own) until replicas or append-only files hold it.
/// </summary>
/// <remarks>
/// Stream ids are write-back versions, and a database with a versioned writer drops a write whose version is below the
/// row's. Ids the server picks (<c>*</c>) follow the server's clock and restart from it when the stream is lost (a Redis
/// restart without persistence, a failover to a replica that had not received it): a server whose clock is behind the
/// one before would then hand out versions below those already in the database, and the newer writes would be dropped
/// as stale. So the id's milliseconds come from the application's clock, never below the highest version this process
/// has appended or read; within one stream Redis still orders them (an id below the stream's top takes the top's
/// millisecond instead). Across a lost stream, versions are then as ordered as the application instances' clocks.
/// </remarks>
internal sealed class RedisWriteBackAppender
{
    // ARGV: 1 milliseconds, 2 the highest sequence already seen in that millisecond (-1 if none), 3 key, 4 value.
    private const string AppendScript = """
        local id = redis.pcall('XADD', KEYS[1], ARGV[1] .. '-*', 'k', ARGV[3], 'v', ARGV[4])
        if type(id) == 'table' then
          local info = redis.call('XINFO', 'STREAM', KEYS[1])
          local last = '0-0'
          for i = 1, #info, 2 do
            if info[i] == 'last-generated-id' then last = info[i + 1] end
          end
          return redis.call('XADD', KEYS[1], string.match(last, '^(%d+)') .. '-*', 'k', ARGV[3], 'v', ARGV[4])
        end
        local ms, seq = string.match(id, '^(%d+)-(%d+)$')
        if ms == ARGV[1] and tonumber(seq) <= tonumber(ARGV[2]) then
          redis.call('XDEL', KEYS[1], id)
          id = redis.call('XADD', KEYS[1], ARGV[1] .. '-' .. (tonumber(ARGV[2]) + 1), 'k', ARGV[3], 'v', ARGV[4])
        end
        return id
        """;

    private const int SequenceBits = 20;
    private readonly RedisWriteBackDurabilityOptions _options;
    private readonly TimeProvider _time;
    private long _floor;

    public RedisWriteBackAppender(RedisWriteBackDurabilityOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>The highest version this process has appended or read.</summary>
    public long Floor => Volatile.Read(ref _floor);

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
    /// Appends and returns the entry's stream id. When the append must wait for acknowledgement, <paramref name="multiplexer"/>
    /// is the one kept for such appends, because WAIT holds its connection until replicas answer.
    /// </summary>
    public async Task<string> AppendAsync(IConnectionMultiplexer multiplexer, RedisKey stream, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var (milliseconds, sequence) = Candidate();
        var arguments = new RedisValue[]
        {
            milliseconds.ToString(CultureInfo.InvariantCulture), sequence.ToString(CultureInfo.InvariantCulture), key, value,
        };

        // The wait is queued right behind the append, before either reply, on the connection to the stream's master
        // (found from the key's slot locally, no round trip): one round trip, and WAIT covers the append because it
        // follows it on that connection. WAIT then holds that connection, so appends waiting for acknowledgement go
        // one after another; reads never share it.
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

        var id = (string)(await append.WaitAsync(cancellationToken).ConfigureAwait(false))!;
        Observe(RedisWriteBackStore.VersionOf(id));
        if (wait is not null)
        {
            var reply = await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            Check(reply, id);
        }

        return id;
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
