using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// The durable write-back queue on a Redis stream per cache with one consumer group: XADD to queue; XREADGROUP to take
/// (this instance's unacknowledged entries first, then entries other instances left idle past
/// <see cref="RedisCachingOptions.WriteBackClaimIdleTime"/>, taken over with XAUTOCLAIM, then new ones); XACK + XDEL once written.
/// </summary>
internal sealed class RedisWriteBackStore : IWriteBackStore
{
    private const string GroupName = "flushers";
    private static readonly RedisValue KeyField = "k";
    private static readonly RedisValue ValueField = "v";
    private readonly RedisConnection _connection;
    private readonly RedisCachingOptions _options;
    private readonly RedisCachingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _applicationName;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _groups = new(StringComparer.Ordinal);
    private readonly RedisPersistenceCheck _persistence;
    private readonly RedisWriteBackAppender _appender;

    public RedisWriteBackStore(
        RedisConnection connection,
        IOptions<RedisCachingOptions> options,
        IOptions<CachingOptions> caching,
        RedisCachingMetrics metrics,
        RedisPersistenceCheck persistence,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? time = null)
    {
        _persistence = persistence;
        _persistence.Require();
        _appender = new RedisWriteBackAppender(options.Value.WriteBackDurability, time ?? TimeProvider.System);
        _connection = connection;
        _options = options.Value;
        _metrics = metrics;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<RedisWriteBackStore>();
        _applicationName = caching.Value.ApplicationName;
        ConsumerName = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>This instance's consumer name in the group.</summary>
    internal string ConsumerName { get; }

    /// <summary>The appender (group commit, ids) this store appends through.</summary>
    internal RedisWriteBackAppender Appender => _appender;

    internal string StreamKey(string cacheName) => CacheKeyLayout.WriteBackStream(_applicationName, cacheName);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // once per write: its frame is reused
    public async ValueTask AppendAsync(string cacheName, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        await _persistence.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var durability = _options.WriteBackDurability;
        var connecting = durability.RequiredReplicas > 0 || durability.WaitForAppendOnlyFile
            ? _connection.GetAcknowledgingAsync()
            : _connection.GetAsync();
        var multiplexer = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _appender.AppendAsync(multiplexer, StreamKey(cacheName), key, value, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<WriteBackRecord>> ReadAsync(string cacheName, int maxCount, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadOnceAsync(cacheName, maxCount, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // The stream and its group are gone (a Redis restart without persistence, a failover to a replica that never
            // had them): make the group again, or writes appended from now on would never be read.
            _groups.Clear();
            return await ReadOnceAsync(cacheName, maxCount, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<IReadOnlyList<WriteBackRecord>> ReadOnceAsync(string cacheName, int maxCount, CancellationToken cancellationToken)
    {
        var database = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var stream = StreamKey(cacheName);
        await EnsureGroupAsync(database, stream).WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = new Dictionary<string, StreamEntry>(StringComparer.Ordinal);
        var deleted = new List<RedisValue>();

        // 1. This instance's own unacknowledged entries (a failed flush to retry).
        Add(await database.StreamReadGroupAsync(stream, GroupName, ConsumerName, "0", maxCount).WaitAsync(cancellationToken).ConfigureAwait(false));

        // 2. Entries another instance took and left idle (it died mid-flush).
        if (taken.Count < maxCount)
        {
            var claim = await database.StreamAutoClaimAsync(
                stream, GroupName, ConsumerName, (long)_options.WriteBackClaimIdleTime.TotalMilliseconds, "0-0", maxCount - taken.Count)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            var before = taken.Count;
            Add(claim.ClaimedEntries);
            foreach (var id in claim.DeletedIds)
            {
                deleted.Add(id);
            }

            if (taken.Count > before)
            {
                _metrics.Claimed.Add(taken.Count - before);
                RedisCachingLog.Claimed(_logger, cacheName, taken.Count - before);
            }
        }

        // 3. New entries.
        if (taken.Count < maxCount)
        {
            Add(await database.StreamReadGroupAsync(stream, GroupName, ConsumerName, ">", maxCount - taken.Count).WaitAsync(cancellationToken).ConfigureAwait(false));
        }

        if (deleted.Count > 0)
        {
            await database.StreamAcknowledgeAsync(stream, GroupName, [.. deleted]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var records = taken.Values
            .OrderBy(e => e.Id.ToString(), StreamIdComparer.Instance)
            .Select(e => new WriteBackRecord(e.Id.ToString(), (byte[])e[KeyField]!, (byte[])e[ValueField]!, VersionOf(e.Id.ToString())))
            .ToList();
        if (records.Count > 0)
        {
            _appender.Observe(records[^1].Version); // later appends stay above what this process flushes
        }

        return records;

        void Add(StreamEntry[] entries)
        {
            foreach (var entry in entries)
            {
                if (entry.IsNull || entry.Values is null || entry.Values.Length == 0 || entry[KeyField].IsNull)
                {
                    deleted.Add(entry.Id); // the data was deleted (acknowledged elsewhere): nothing to write
                    continue;
                }

                taken.TryAdd(entry.Id.ToString(), entry);
            }
        }
    }

    /// <summary>A stream id (<c>milliseconds-sequence</c>) on the write-back version scale.</summary>
    internal static long VersionOf(string streamId)
    {
        var dash = streamId.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(streamId.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            || !long.TryParse(streamId.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw new FormatException($"'{streamId}' is not a stream id of the form milliseconds-sequence.");
        }

        return WriteBackVersion.From(milliseconds, sequence);
    }

    public async ValueTask AcknowledgeAsync(string cacheName, IReadOnlyList<WriteBackRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        var database = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var stream = StreamKey(cacheName);
        var ids = records.Select(r => (RedisValue)r.Id).ToArray();
        await database.StreamAcknowledgeAsync(stream, GroupName, ids).WaitAsync(cancellationToken).ConfigureAwait(false);
        await database.StreamDeleteAsync(stream, ids).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> GetLengthAsync(string cacheName, CancellationToken cancellationToken)
    {
        var database = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await database.StreamLengthAsync(StreamKey(cacheName)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken) =>
        (await _connection.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private Task EnsureGroupAsync(IDatabase database, string stream)
    {
        var lazy = _groups.GetOrAdd(stream, s => new Lazy<Task>(() => CreateGroupAsync(database, s)));
        var task = lazy.Value;
        if (task.IsFaulted)
        {
            _groups.TryRemove(new KeyValuePair<string, Lazy<Task>>(stream, lazy)); // retry next time
        }

        return task;
    }

    private static async Task CreateGroupAsync(IDatabase database, string stream)
    {
        try
        {
            await database.StreamCreateConsumerGroupAsync(stream, GroupName, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists already (another instance made it).
        }
    }

    /// <summary>Orders stream ids ("milliseconds-sequence") numerically.</summary>
    private sealed class StreamIdComparer : IComparer<string>
    {
        public static readonly StreamIdComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var (xm, xs) = Parse(x);
            var (ym, ys) = Parse(y);
            var result = xm.CompareTo(ym);
            return result != 0 ? result : xs.CompareTo(ys);
        }

        private static (long, long) Parse(string? id)
        {
            if (string.IsNullOrEmpty(id))
            {
                return (0, 0);
            }

            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return dash < 0
                ? (long.Parse(id, CultureInfo.InvariantCulture), 0)
                : (long.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), long.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }
    }
}
