using System.Globalization;
using System.Net.Sockets;
using StackExchange.Redis;

namespace DataPatterns.Cqrs.Redis;

/// <summary>
/// Read models in Redis. A batch's writes, its dead letters and the checkpoint move are one MULTI/EXEC that runs only
/// if the stored checkpoint is still where the runner read from and the lease's fencing token is still the runner's
/// (WATCH-based conditions): a replayed batch (same positions) or a deposed leader's batch is refused whole, so apply is
/// idempotent per event position. Generations are key prefixes (<c>{cqrs:name}:gN:</c>); readers find the live one with
/// <see cref="RedisReadModel.LiveKeyAsync"/>. Also the projections' leases and dead letters.
/// </summary>
public sealed class RedisProjectionStore : IProjectionStore, IProjectionLeases, IDeadLetterStore
{
    private const string AcquireScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return tonumber(redis.call('GET', KEYS[2]) or '0')
        elseif not holder then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return redis.call('INCR', KEYS[2])
        end
        return -1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const string RebuildScript = """
        if redis.call('HEXISTS', KEYS[1], 'live') == 0 then return -1 end
        local b = redis.call('HGET', KEYS[1], 'building')
        if b then return tonumber(b) end
        local n = redis.call('HINCRBY', KEYS[1], 'next', 1) - 1
        redis.call('HSET', KEYS[1], 'building', n)
        return n
        """;

    private readonly Func<Task<IConnectionMultiplexer>> _connect;
    private readonly string _prefix;
    private readonly bool _keepRetired;
    private Task<IConnectionMultiplexer>? _connection;

    /// <summary>Creates the store over an existing multiplexer (share one per Redis endpoint).</summary>
    /// <param name="multiplexer">The connection.</param>
    /// <param name="keyPrefix">The prefix of every key: letters, digits, '.', '-', '_' and ':', ending with ':' (or empty).</param>
    /// <param name="keepRetiredGenerations">Keep a generation's keys after a rebuild replaced it.</param>
    /// <exception cref="ArgumentException">The key prefix holds other characters or does not end with ':'.</exception>
    public RedisProjectionStore(IConnectionMultiplexer multiplexer, string keyPrefix = "cqrs:", bool keepRetiredGenerations = false)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        _connection = Task.FromResult(multiplexer);
        _connect = () => Task.FromResult(multiplexer);
        _prefix = RedisKeyPrefix.Checked(keyPrefix, nameof(keyPrefix));
        _keepRetired = keepRetiredGenerations;
    }

    /// <summary>Creates the store that connects on first use.</summary>
    /// <param name="configuration">A StackExchange.Redis configuration string.</param>
    /// <param name="keyPrefix">The prefix of every key: letters, digits, '.', '-', '_' and ':', ending with ':' (or empty).</param>
    /// <param name="keepRetiredGenerations">Keep a generation's keys after a rebuild replaced it.</param>
    /// <exception cref="ArgumentException">The key prefix holds other characters or does not end with ':'.</exception>
    public RedisProjectionStore(string configuration, string keyPrefix = "cqrs:", bool keepRetiredGenerations = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        _connect = async () => await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        _prefix = RedisKeyPrefix.Checked(keyPrefix, nameof(keyPrefix));
        _keepRetired = keepRetiredGenerations;
    }

    /// <inheritdoc />
    public bool CanRun(IProjection projection, out string reason)
    {
        ArgumentNullException.ThrowIfNull(projection);
        reason = projection is IProjection<RedisProjectionContext> ? string.Empty : "the Redis store runs projections that implement IProjection<RedisProjectionContext>; implement that interface.";
        return reason.Length == 0;
    }

    /// <inheritdoc />
    public async ValueTask<ProjectionGenerations> OpenAsync(IProjection projection, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var typed = AsTyped(projection);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var keys = new Keys(_prefix, projection.Name);
        await db.HashSetAsync(keys.Meta, "live", 1, When.NotExists).ConfigureAwait(false);
        await db.HashSetAsync(keys.Meta, "next", 2, When.NotExists).ConfigureAwait(false);
        await CheckTokenAsync(db, keys, fencingToken).ConfigureAwait(false);
        var meta = await db.HashGetAsync(keys.Meta, ["live", "building"]).ConfigureAwait(false);
        var live = (int)meta[0];
        int? building = meta[1].IsNull ? null : (int)meta[1];
        var liveState = new GenerationState(live, await EnsureGenerationAsync(db, keys, typed, live, fencingToken, cancellationToken).ConfigureAwait(false));
        GenerationState? buildingState = building is { } b
            ? new GenerationState(b, await EnsureGenerationAsync(db, keys, typed, b, fencingToken, cancellationToken).ConfigureAwait(false))
            : null;
        return new ProjectionGenerations(liveState, buildingState);
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(ProjectionBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var keys = new Keys(_prefix, batch.Projection.Name);
        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(keys.Checkpoint(batch.Generation), Format(batch.From)));
        transaction.AddCondition(Condition.StringEqual(keys.Token, batch.FencingToken));
        if (batch.Events.Count > 0)
        {
            var context = new RedisProjectionContext(db, transaction, batch.Projection.Name, batch.Generation, keys.Generation(batch.Generation));
            await AsTyped(batch.Projection).ApplyAsync(batch.Events, context, cancellationToken).ConfigureAwait(false);
        }

        foreach (var letter in batch.DeadLetters)
        {
            var key = keys.DeadLetter(letter.Generation, letter.Event.Position);
            _ = transaction.HashSetAsync(key,
            [
                new HashEntry("generation", letter.Generation),
                new HashEntry("transaction", letter.Event.Position.Transaction),
                new HashEntry("sequence", letter.Event.Position.Sequence),
                new HashEntry("type", letter.Event.EventType),
                new HashEntry("stream", letter.Event.StreamId),
                new HashEntry("payload", letter.Event.Payload),
                new HashEntry("created", letter.Event.CreatedAt.ToUnixTimeMilliseconds()),
                new HashEntry("error", letter.Error),
                new HashEntry("attempts", letter.Attempts),
                new HashEntry("parked", letter.ParkedAt.ToUnixTimeMilliseconds()),
            ]);
            _ = transaction.SortedSetAddAsync(keys.DeadLetters, key.ToString(), letter.ParkedAt.ToUnixTimeMilliseconds());
        }

        _ = transaction.StringSetAsync(keys.Checkpoint(batch.Generation), Format(batch.To));
        cancellationToken.ThrowIfCancellationRequested();
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new LeadershipLostException(string.Create(CultureInfo.InvariantCulture, $"Projection '{batch.Projection.Name}' generation {batch.Generation}: the lease token {batch.FencingToken} is no longer current or the checkpoint is no longer {batch.From}; another instance has taken over, nothing was written."));
        }
    }

    /// <inheritdoc />
    public async ValueTask SwitchToAsync(IProjection projection, int generation, long fencingToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var db = await DatabaseAsync().ConfigureAwait(false);
        var keys = new Keys(_prefix, projection.Name);
        var old = (int)await db.HashGetAsync(keys.Meta, "live").ConfigureAwait(false);
        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(keys.Token, fencingToken));
        transaction.AddCondition(Condition.HashEqual(keys.Meta, "building", generation));
        transaction.AddCondition(Condition.HashEqual(keys.Meta, "live", old));
        _ = transaction.HashSetAsync(keys.Meta, "live", generation);
        _ = transaction.HashDeleteAsync(keys.Meta, "building");
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new LeadershipLostException($"Projection '{projection.Name}': generation {generation} is no longer the one being rebuilt or the lease changed hands; nothing was switched.");
        }

        if (!_keepRetired)
        {
            var multiplexer = await ConnectionAsync().ConfigureAwait(false);
            foreach (var endpoint in multiplexer.GetEndPoints())
            {
                var server = multiplexer.GetServer(endpoint);
                if (server.IsReplica)
                {
                    continue;
                }

                await foreach (var key in server.KeysAsync(db.Database, keys.Generation(old) + "*").WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await db.KeyDeleteAsync(key).ConfigureAwait(false);
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> RequestRebuildAsync(string projectionName, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var result = (int)await db.ScriptEvaluateAsync(RebuildScript, [new Keys(_prefix, projectionName).Meta]).ConfigureAwait(false);
        return result > 0
            ? result
            : throw new InvalidOperationException($"Projection '{projectionName}' has not run yet, so there is nothing to rebuild; start the host (the runner builds generation 1 on first start).");
    }

    /// <inheritdoc />
    public bool IsTransient(Exception exception) =>
        exception is RedisConnectionException or RedisTimeoutException or TimeoutException or SocketException or IOException;

    /// <inheritdoc />
    public async ValueTask<long?> TryAcquireAsync(string projectionName, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var keys = new Keys(_prefix, projectionName);
        var token = (long)await db.ScriptEvaluateAsync(AcquireScript, [keys.Holder, keys.Token], [holder, (long)duration.TotalMilliseconds]).ConfigureAwait(false);
        return token > 0 ? token : null;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string projectionName, string holder, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.ScriptEvaluateAsync(ReleaseScript, [new Keys(_prefix, projectionName).Holder], [holder]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var keys = new Keys(_prefix, projectionName);
        var letters = new List<DeadLetter>();
        foreach (var member in await db.SortedSetRangeByRankAsync(keys.DeadLetters).ConfigureAwait(false))
        {
            var fields = (await db.HashGetAllAsync(member.ToString()).ConfigureAwait(false)).ToDictionary(e => e.Name.ToString(), e => e.Value);
            var e = new EventEnvelope(
                new EventPosition((long)fields["transaction"], (long)fields["sequence"]),
                fields["type"].ToString(),
                fields["stream"].ToString(),
                fields["payload"].ToString(),
                DateTimeOffset.FromUnixTimeMilliseconds((long)fields["created"]));
            letters.Add(new DeadLetter(projectionName, (int)fields["generation"], e, fields["error"].ToString(), (int)fields["attempts"], DateTimeOffset.FromUnixTimeMilliseconds((long)fields["parked"])));
        }

        return letters;
    }

    internal static string Format(EventPosition position) => position.ToString();

    private static IProjection<RedisProjectionContext> AsTyped(IProjection projection) =>
        projection as IProjection<RedisProjectionContext>
        ?? throw new ProjectionConfigurationException($"Projection '{projection.Name}' ({projection.GetType().Name}) does not implement IProjection<RedisProjectionContext>; the Redis store cannot run it.");

    private static async Task<EventPosition> EnsureGenerationAsync(IDatabase db, Keys keys, IProjection<RedisProjectionContext> projection, int generation, long token, CancellationToken cancellationToken)
    {
        var stored = await db.StringGetAsync(keys.Checkpoint(generation)).ConfigureAwait(false);
        if (stored.HasValue)
        {
            return Parse(stored.ToString());
        }

        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(keys.Checkpoint(generation)));
        transaction.AddCondition(Condition.StringEqual(keys.Token, token));
        await projection.InitializeAsync(new RedisProjectionContext(db, transaction, projection.Name, generation, keys.Generation(generation)), cancellationToken).ConfigureAwait(false);
        _ = transaction.StringSetAsync(keys.Checkpoint(generation), Format(EventPosition.Start));
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new LeadershipLostException($"Projection '{projection.Name}': the lease changed hands while generation {generation} was being created.");
        }

        return EventPosition.Start;
    }

    private static async Task CheckTokenAsync(IDatabase db, Keys keys, long token)
    {
        if ((long?)await db.StringGetAsync(keys.Token).ConfigureAwait(false) != token)
        {
            throw new LeadershipLostException(string.Create(CultureInfo.InvariantCulture, $"The lease token {token} is no longer current; another instance has taken over."));
        }
    }

    private static EventPosition Parse(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return new EventPosition(long.Parse(value.AsSpan(0, slash), CultureInfo.InvariantCulture), long.Parse(value.AsSpan(slash + 1), CultureInfo.InvariantCulture));
    }

    private async Task<IDatabase> DatabaseAsync() => (await ConnectionAsync().ConfigureAwait(false)).GetDatabase();

    private Task<IConnectionMultiplexer> ConnectionAsync()
    {
        var connection = _connection;
        if (connection is null || connection.IsFaulted || connection.IsCanceled)
        {
            connection = _connect();
            _connection = connection;
        }

        return connection;
    }

    /// <summary>The key names of one projection; all in one hash slot (hash tag) so transactions work on a cluster.</summary>
    private readonly struct Keys(string prefix, string projection)
    {
        private readonly string _base = "{" + prefix + projection + "}";

        public RedisKey Meta => _base + ":meta";

        public RedisKey Holder => _base + ":lease:holder";

        public RedisKey Token => _base + ":lease:token";

        public RedisKey DeadLetters => _base + ":deadletters";

        public string Generation(int generation) => string.Create(CultureInfo.InvariantCulture, $"{_base}:g{generation}:");

        public RedisKey Checkpoint(int generation) => string.Create(CultureInfo.InvariantCulture, $"{_base}:checkpoint:g{generation}");

        public RedisKey DeadLetter(int generation, EventPosition position) => string.Create(CultureInfo.InvariantCulture, $"{_base}:deadletter:g{generation}:{position.Transaction}:{position.Sequence}");
    }
}
