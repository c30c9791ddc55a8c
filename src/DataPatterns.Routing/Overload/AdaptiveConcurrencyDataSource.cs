using System.Data.Common;
using System.Globalization;

namespace DataPatterns.Routing;

/// <summary>
/// Any <see cref="DbDataSource"/> behind the router's adaptive concurrency limit (see
/// <see cref="AdaptiveConcurrencyOptions"/>): for a database the router does not front — a shard of a
/// <c>ShardMap</c>, a participant of a two-phase commit — the connections open at once follow the database's measured
/// latency, opens past the limit wait in a short queue, and beyond it fail at once with
/// <see cref="NodeOverloadedException"/> (transient, with <see cref="NodeOverloadedException.RetryAfter"/>), so an
/// overloaded database sheds load instead of queueing every caller. Async opens queue and may be refused; sync opens are
/// refused at once when the limit is reached; connections handed out unopened (<c>CreateConnection</c>, as EF Core and
/// Dapper use) take a slot when opened and are never refused. Disposing it disposes the inner data source.
/// Create it with <see cref="AdaptiveConcurrencyDataSourceExtensions.WithAdaptiveConcurrency"/>.
/// </summary>
public sealed class AdaptiveConcurrencyDataSource : DbDataSource
{
    private readonly DbDataSource _inner;
    private readonly AdaptiveConcurrencyLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryAfter;

    internal AdaptiveConcurrencyDataSource(DbDataSource inner, string name, AdaptiveConcurrencyOptions options, TimeSpan retryAfter, TimeProvider time)
    {
        _inner = inner;
        _time = time;
        _retryAfter = retryAfter;
        _limiter = new AdaptiveConcurrencyLimiter(options, time);
        Name = name;
    }

    /// <summary>The name given to the database (in errors).</summary>
    public string Name { get; }

    /// <summary>The limit now.</summary>
    public int Limit => _limiter.Limit;

    /// <summary>Connections open through it now.</summary>
    public int InFlight => _limiter.InFlight;

    /// <summary>Opens waiting for a slot now.</summary>
    public int Queued => _limiter.Queued;

    /// <summary>Opens refused since it was created.</summary>
    public long Rejected => _limiter.Rejected;

    /// <inheritdoc />
    public override string ConnectionString => _inner.ConnectionString;

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection()
    {
        var connection = _inner.CreateConnection();
        ConcurrencyLease.AttachUnopened(connection, _limiter, _time);
        return connection;
    }

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection()
    {
        if (!_limiter.TryAcquire())
        {
            throw LimitReached();
        }

        var started = _time.GetTimestamp();
        DbConnection connection;
        try
        {
            connection = _inner.OpenConnection();
        }
        catch
        {
            _limiter.Release(started, sample: false);
            throw;
        }

        ConcurrencyLease.AttachOpened(connection, _limiter, _time, started);
        return connection;
    }

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default)
    {
        if (!await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            throw LimitReached();
        }

        var started = _time.GetTimestamp();
        DbConnection connection;
        try
        {
            connection = await _inner.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _limiter.Release(started, sample: false);
            throw;
        }

        ConcurrencyLease.AttachOpened(connection, _limiter, _time, started);
        return connection;
    }

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand(string? commandText = null) => _inner.CreateCommand(commandText);

    /// <inheritdoc />
    protected override DbBatch CreateDbBatch() => _inner.CreateBatch();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    private NodeOverloadedException LimitReached() => new(
        $"Database '{Name}' is at its adaptive concurrency limit ({_limiter.Limit} connections open) and its wait queue is full or the wait ran out; "
        + $"the open was refused to shed load. Retry after {_retryAfter.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; "
        + "if the database has capacity to spare, raise MaxLimit or MaxQueue.")
    {
        NodeName = Name,
        RetryAfter = _retryAfter,
    };
}
