using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;

namespace DataPatterns.Routing;

/// <summary>
/// One unit of work (an HTTP request, a message handler, a scope) on a <see cref="ReadWriteRouter"/>, keeping
/// read-your-writes: once a write connection of the session has been used, the session's reads go only to a replica that
/// has replayed the primary's write position (the <see cref="Token"/>), else to the primary. While a write connection of
/// the session is open (a write transaction), the session's reads stay on the primary. Register it scoped (AddReadWriteSplitting
/// does); carry <see cref="Token"/> to the user's next request in a cookie or header and give it back with <see cref="Observe(ConsistencyToken)"/>.
/// Safe to use from parallel tasks of the same unit of work.
/// </summary>
public sealed class RoutingSession
{
    private readonly ReadWriteRouter _router;
    private readonly StateChangeEventHandler _trackWrite;
    private ulong _token;
    private int _pending;
    private int _openWrites;
    private RoutingDataSource? _reads;
    private RoutingDataSource? _writes;

    internal RoutingSession(ReadWriteRouter router)
    {
        _router = router;
        _trackWrite = OnWriteStateChange;
    }

    /// <summary>The router.</summary>
    public ReadWriteRouter Router => _router;

    /// <summary>
    /// The write position this session's reads must see, as far as known: after a write it is resolved on the next read
    /// or by <see cref="GetTokenAsync"/>; until then <see cref="HasUnresolvedWrite"/> is true.
    /// </summary>
    public ConsistencyToken Token => new(Volatile.Read(ref _token));

    /// <summary>True after a write of this session whose position has not been asked for yet.</summary>
    public bool HasUnresolvedWrite => Volatile.Read(ref _pending) != 0 || Volatile.Read(ref _openWrites) != 0;

    /// <summary>A data source for this session's reads (read-your-writes when enabled).</summary>
    public DbDataSource Reads => _reads ??= new RoutingDataSource(_router, RoutingIntent.ReadAfterWrite, this);

    /// <summary>A data source for this session's writes (to the primary; using one marks the session as having written).</summary>
    public DbDataSource Writes => _writes ??= new RoutingDataSource(_router, RoutingIntent.Write, this);

    /// <summary>
    /// Records that this session wrote on the primary through a connection it did not open (an ORM's own connection, a
    /// transaction committed elsewhere): the next read-your-writes read asks the primary's position once, lazily, so the
    /// write itself costs no extra round trip.
    /// </summary>
    public void MarkWritten() => Volatile.Write(ref _pending, 1);

    /// <summary>Raises the token to at least <paramref name="token"/> (for example one carried in from the previous request).</summary>
    /// <param name="token">A token from <see cref="Token"/> or <see cref="GetTokenAsync"/>, possibly of an earlier request.</param>
    public void Observe(ConsistencyToken token)
    {
        var current = Volatile.Read(ref _token);
        while (token.Position > current)
        {
            var seen = Interlocked.CompareExchange(ref _token, token.Position, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Raises the token from its text form; ignores text that is not a token (a tampered cookie costs consistency, not an error).</summary>
    /// <param name="token">The text form, as produced by <see cref="ConsistencyToken.ToString()"/>.</param>
    /// <returns>True when the text was a token.</returns>
    public bool TryObserve(string? token)
    {
        if (!ConsistencyToken.TryParse(token, out var parsed))
        {
            return false;
        }

        Observe(parsed);
        return true;
    }

    /// <summary>Opens a connection for this session's reads.</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    public ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken = default) =>
        OpenConnectionAsync(RoutingIntent.ReadAfterWrite, cancellationToken);

    /// <summary>Opens a connection to the primary for this session's writes.</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    public ValueTask<DbConnection> OpenWriteConnectionAsync(CancellationToken cancellationToken = default) =>
        OpenConnectionAsync(RoutingIntent.Write, cancellationToken);

    /// <summary>
    /// The token covering every write of this session so far; asks the primary for its write position when a write happened
    /// since the last time (one round trip). Put the result in a cookie or header for the user's next request.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async ValueTask<ConsistencyToken> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _pending, 0) == 0)
        {
            return Token;
        }

        try
        {
            Observe(await _router.GetWritePositionAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            Volatile.Write(ref _pending, 1);
            throw;
        }

        return Token;
    }

    /// <summary>
    /// Records the write position on the connection that just committed (one round trip on a connection already open,
    /// cheaper than the new connection <see cref="GetTokenAsync"/> needs). Call it after the last commit of the unit of
    /// work: it marks the session's writes as resolved.
    /// </summary>
    /// <param name="primaryConnection">The open connection to the primary that committed the write.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async ValueTask<ConsistencyToken> CaptureAsync(DbConnection primaryConnection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primaryConnection);
        var position = await _router.CaptureWritePositionAsync(primaryConnection, cancellationToken).ConfigureAwait(false);
        Observe(position);
        Volatile.Write(ref _pending, 0);

        return Token;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<DbConnection> OpenConnectionAsync(RoutingIntent intent, CancellationToken cancellationToken)
    {
        if (intent == RoutingIntent.Write)
        {
            var connection = await _router.OpenConnectionAsync(RoutingIntent.Write, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _pending, 1);
            Interlocked.Increment(ref _openWrites);
            connection.StateChange += _trackWrite;
            return connection;
        }

        if (!_router.ReadYourWrites)
        {
            return await _router.OpenConnectionAsync(RoutingIntent.Read, cancellationToken).ConfigureAwait(false);
        }

        if (Volatile.Read(ref _openWrites) != 0)
        {
            // Transaction pinning: a write of this unit of work is in progress, so its reads stay with it on the primary.
            return await _router.OpenPrimaryAsync(RoutingIntent.Read, FallbackReasons.Transaction, cancellationToken).ConfigureAwait(false);
        }

        var token = Volatile.Read(ref _pending) != 0 ? await GetTokenAsync(cancellationToken).ConfigureAwait(false) : Token;
        return await _router.OpenConnectionAsync(RoutingIntent.ReadAfterWrite, token, cancellationToken).ConfigureAwait(false);
    }

    internal DbConnection CreateConnection(RoutingIntent intent)
    {
        if (intent == RoutingIntent.Write)
        {
            var connection = _router.CreateConnection(RoutingIntent.Write);
            Volatile.Write(ref _pending, 1);
            connection.StateChange += _trackWrite;
            return connection;
        }

        if (!_router.ReadYourWrites)
        {
            return _router.CreateConnection(RoutingIntent.Read);
        }

        // Nothing may wait here: with a write in progress or unresolved, the primary is the only safe answer.
        return HasUnresolvedWrite
            ? _router.CreatePrimaryConnectionForRead(FallbackReasons.ReadYourWrites)
            : _router.CreateConnection(RoutingIntent.ReadAfterWrite, Token);
    }

    private void OnWriteStateChange(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Open && e.OriginalState != ConnectionState.Open)
        {
            Interlocked.Increment(ref _openWrites);
            Volatile.Write(ref _pending, 1);
        }
        else if (e.OriginalState == ConnectionState.Open && e.CurrentState != ConnectionState.Open)
        {
            // The position stays unresolved since the open (unless CaptureAsync resolved it after the last commit).
            Interlocked.Decrement(ref _openWrites);
        }
    }
}
