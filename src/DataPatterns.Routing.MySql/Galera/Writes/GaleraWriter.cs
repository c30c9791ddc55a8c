using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// Runs write transactions on a Galera cluster through a <see cref="ReadWriteRouter"/> in Galera mode: retries a
/// transaction that lost a certification conflict (the whole transaction, with a jittered back-off) and, given a key,
/// sends every write of that key to one Synced node chosen by rendezvous hashing, so that concurrent writes of the same
/// rows queue on one node's row locks instead of failing certification on two nodes (the single-writer-per-key advice).
/// </summary>
public sealed class GaleraWriter
{
    private readonly ReadWriteRouter _router;
    private readonly string[] _names;
    private readonly long[] _seeds;
    private readonly DbDataSource[] _dataSources;
    private readonly int _maxAttempts;
    private readonly TimeSpan _retryDelay;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a writer over a router and the data sources of its nodes.</summary>
    /// <param name="router">The router (in Galera mode: <c>UseGalera()</c>), which knows which nodes are Synced.</param>
    /// <param name="nodeDataSources">Each router node's data source by node name (the same ones the router uses, so they share a pool).</param>
    /// <param name="options">The retry settings; defaults when null. Validated here.</param>
    /// <param name="timeProvider">The clock for retry pauses; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Where the writer logs; nowhere when null.</param>
    /// <exception cref="ArgumentException">A router node has no data source in <paramref name="nodeDataSources"/>.</exception>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public GaleraWriter(ReadWriteRouter router, IReadOnlyDictionary<string, DbDataSource> nodeDataSources, GaleraRoutingOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(nodeDataSources);
        options ??= new GaleraRoutingOptions();
        var failures = GaleraRoutingOptionsValidator.Collect(router.Name, options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(router.Name, typeof(GaleraRoutingOptions), failures);
        }

        _router = router;
        _names = [.. router.GetNodes().Select(static n => n.Name)];
        _seeds = [.. _names.Select(RendezvousHashing.SeedOf)];
        _dataSources = new DbDataSource[_names.Length];
        for (var i = 0; i < _names.Length; i++)
        {
            _dataSources[i] = nodeDataSources.TryGetValue(_names[i], out var dataSource) && dataSource is not null
                ? dataSource
                : throw new ArgumentException($"Router '{router.Name}' has node '{_names[i]}' but nodeDataSources has no data source for it; pass every node's data source by its node name.", nameof(nodeDataSources));
        }

        _maxAttempts = options.MaxWriteAttempts;
        _retryDelay = options.RetryDelay;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<GaleraWriter>() ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The router.</summary>
    public ReadWriteRouter Router => _router;

    /// <summary>The node the writes of <paramref name="key"/> go to now (null when no node is Synced).</summary>
    /// <param name="key">The key: an aggregate or row identity, any non-empty text.</param>
    /// <exception cref="ArgumentException">The key is null or empty.</exception>
    public string? NodeFor(string key)
    {
        Span<int> order = stackalloc int[_names.Length];
        var count = RankServing(key, order);
        return count == 0 ? null : _names[order[0]];
    }

    /// <summary>Opens a connection to the node of <paramref name="key"/> (the next node in the key's order if it refuses).</summary>
    /// <param name="key">The key: an aggregate or row identity, any non-empty text.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="NoPrimaryAvailableException">No Synced node accepted the connection.</exception>
    public async ValueTask<DbConnection> OpenConnectionAsync(string key, CancellationToken cancellationToken = default) =>
        (await OpenForKeyAsync(key, cancellationToken).ConfigureAwait(false)).Connection;

    /// <summary>Runs <paramref name="work"/> in a transaction on a Synced node chosen by the router's policy, retrying it on a certification conflict.</summary>
    /// <typeparam name="T">What the work returns.</typeparam>
    /// <param name="work">The transaction's statements (it must not commit); it may run several times, so it must re-read what it reads.</param>
    /// <param name="cancellationToken">Cancels the work and the pauses between tries.</param>
    /// <exception cref="GaleraCertificationConflictException">Every try lost a conflict (<see cref="GaleraRoutingOptions.MaxWriteAttempts"/>).</exception>
    public Task<T> ExecuteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(key: null, work, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction on the node of <paramref name="key"/>, retrying it on a certification
    /// conflict: writes of the same key from every process meet on one node, where they wait for each other's row locks
    /// instead of conflicting at certification.
    /// </summary>
    /// <typeparam name="T">What the work returns.</typeparam>
    /// <param name="key">The key: an aggregate or row identity, any non-empty text.</param>
    /// <param name="work">The transaction's statements (it must not commit); it may run several times, so it must re-read what it reads.</param>
    /// <param name="cancellationToken">Cancels the work and the pauses between tries.</param>
    /// <exception cref="GaleraCertificationConflictException">Every try lost a conflict.</exception>
    /// <exception cref="ArgumentException">The key is null or empty.</exception>
    public Task<T> ExecuteAsync<T>(string key, Func<DbConnection, DbTransaction, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(key, work, cancellationToken);
    }

    private async Task<T> RunAsync<T>(string? key, Func<DbConnection, DbTransaction, CancellationToken, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (connection, node) = key is null
                ? (await _router.OpenConnectionAsync(RoutingIntent.Write, cancellationToken).ConfigureAwait(false), (string?)null)
                : await OpenForKeyAsync(key, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    var result = await work(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
                catch (Exception ex) when (GaleraConflicts.IsConflict(ex))
                {
                    node ??= connection.DataSource;
                    if (attempt >= _maxAttempts)
                    {
                        GaleraLog.ConflictGaveUp(_logger, _router.Name, node, attempt);
                        throw GaleraConflicts.Translate(ex, node, attempt)!;
                    }

                    var delay = Backoff(attempt);
                    GaleraLog.ConflictRetried(_logger, _router.Name, node, attempt, _maxAttempts, delay);
                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        // Doubling with ±50 % jitter: two transactions that collided do not retry in step and collide again.
        var factor = (1 << Math.Min(attempt - 1, 10)) * (0.5 + Random.Shared.NextDouble());
        return TimeSpan.FromTicks((long)(_retryDelay.Ticks * factor));
    }

    private async ValueTask<(DbConnection Connection, string? Node)> OpenForKeyAsync(string key, CancellationToken cancellationToken)
    {
        if (_names.Length > 0)
        {
            await _router.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }

        var order = new int[_names.Length];
        var count = RankServing(key, order);
        Exception? failure = null;
        for (var i = 0; i < count; i++)
        {
            var node = order[i];
            try
            {
                return (await _dataSources[node].OpenConnectionAsync(cancellationToken).ConfigureAwait(false), _names[node]);
            }
            catch (Exception ex) when (ex is DbException or SocketException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // The router has not seen the node go yet: let it probe now, and give the key to its runner-up meanwhile.
                failure = ex;
                GaleraLog.KeyNodeRefused(_logger, _router.Name, _names[node], ex);
                _ = _router.ProbeAsync(CancellationToken.None);
            }
        }

        throw new NoPrimaryAvailableException(
            $"Router '{_router.Name}': no Synced Galera node accepted the writes of key '{key}' ({DescribeNodes()}). Writes succeed again once a node is Synced; retry later.",
            failure)
        { RouterName = _router.Name };
    }

    /// <summary>Ranks the serving nodes (Synced, in rotation) for the key into <paramref name="order"/>; returns how many there are.</summary>
    private int RankServing(string key, Span<int> order)
    {
        ValidateKey(key);
        var states = _router.GetNodes();
        var count = 0;
        for (var i = 0; i < states.Count && i < _names.Length; i++)
        {
            if (states[i] is { IsHealthy: true, IsDemoted: false, Role: NodeRole.Primary })
            {
                order[count++] = i;
            }
        }

        RendezvousHashing.Rank(key, _seeds, _names, order[..count]);
        return count;
    }

    private string DescribeNodes() => string.Join(", ", _router.GetNodes().Select(static n =>
        $"'{n.Name}' {(n.Role == NodeRole.Any ? "not probed yet" : n.IsHealthy ? "synced" : "out of rotation")}"));

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("A write key must be non-empty text (an aggregate or row identity, such as 'account:42'); pass the identity of the rows the transaction writes.", nameof(key));
        }
    }
}
