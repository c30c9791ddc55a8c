using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Redis;

/// <summary>
/// Checks, once, that every Redis master keeps what a durable write-back cache acknowledges: reads INFO persistence and
/// INFO replication (CONFIG GET appendfsync only as a refinement, since managed services often disable it), then warns
/// or refuses as <see cref="RedisWriteBackDurabilityOptions.Persistence"/> says, and refuses settings the server cannot
/// meet (more <see cref="RedisWriteBackDurabilityOptions.RequiredReplicas"/> than it has, WAITAOF before Redis 7.2).
/// </summary>
internal sealed class RedisPersistenceCheck
{
    private readonly RedisConnection _connection;
    private readonly RedisWriteBackDurabilityOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task? _check;

    public RedisPersistenceCheck(RedisConnection connection, IOptions<RedisCachingOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _connection = connection;
        _options = options.Value.WriteBackDurability;
        _logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<RedisPersistenceCheck>();
    }

    /// <summary>True once a durable write-back queue uses Redis (so the host's start runs the check).</summary>
    public bool Required { get; private set; }

    public void Require() => Required = true;

    /// <summary>Runs the check once; a failed check (Redis unreachable) is run again by the next caller.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _check) is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask; // every append asks: the common answer takes no lock
        }

        lock (_lock)
        {
            if (_check is null || (_check.IsFaulted && _check.Exception?.InnerException is not RedisWriteBackDurabilityException))
            {
                _check = CheckAsync();
            }

            return _check.WaitAsync(cancellationToken);
        }
    }

    private async Task CheckAsync()
    {
        var multiplexer = await _connection.GetAsync().ConfigureAwait(false);
        var masters = multiplexer.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        if (masters.Count == 0)
        {
            throw new InvalidOperationException("Durable write-back: no Redis master is connected, so its persistence cannot be checked; it is checked again on the next write.");
        }

        var problems = new List<string>();
        foreach (var master in masters)
        {
            var state = await RedisPersistenceState.ReadAsync(master).ConfigureAwait(false);
            CheckReplicas(state, problems);
            if (state.Risk is { } risk)
            {
                if (_options.Persistence == RedisPersistenceRequirement.Refuse)
                {
                    problems.Add($"{risk} Set appendonly yes and appendfsync always on that server, or set RedisCachingOptions.WriteBackDurability.Persistence = Warn to start anyway.");
                }
                else
                {
                    RedisCachingLog.PersistenceRisk(_logger, state.Endpoint, risk);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new RedisWriteBackDurabilityException("Durable write-back cannot start: " + string.Join(" ", problems));
        }
    }

    private void CheckReplicas(RedisPersistenceState state, List<string> problems)
    {
        if (_options.RequiredReplicas > state.ConnectedReplicas)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"RedisCachingOptions.WriteBackDurability.RequiredReplicas is {_options.RequiredReplicas}, but master {state.Endpoint} has {state.ConnectedReplicas} connected replicas (INFO replication), so every write would time out. Lower RequiredReplicas or add replicas (replicaof)."));
        }

        if (_options.WaitForAppendOnlyFile && state.Version < new Version(7, 2))
        {
            problems.Add($"RedisCachingOptions.WriteBackDurability.WaitForAppendOnlyFile needs WAITAOF (Redis 7.2 or later), but master {state.Endpoint} runs Redis {state.Version}. Upgrade it or set WaitForAppendOnlyFile = false.");
        }
        else if (_options.WaitForAppendOnlyFile && !state.AppendOnly)
        {
            problems.Add($"RedisCachingOptions.WriteBackDurability.WaitForAppendOnlyFile waits for the append-only file, but master {state.Endpoint} runs with appendonly no. Set appendonly yes or WaitForAppendOnlyFile = false.");
        }
    }
}
