namespace DataPatterns.Transactions.Npgsql;

// The resource's side of stateless commit: the marker table in its database (created on first use), what a branch
// left there, fences, and the clean-up of old markers.
public sealed partial class NpgsqlTransactionResource : IStatelessResource
{
    private readonly TimeSpan _fenceLockTimeout = TimeSpan.FromSeconds(1);
    private Task? _markersCreated;

    /// <summary>
    /// Stateless commit: how long a fence waits for a branch that holds its marker key (still running, or committing)
    /// before it gives up for this round. Default 1 s.
    /// </summary>
    public TimeSpan FenceLockTimeout
    {
        get => _fenceLockTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _fenceLockTimeout = value;
        }
    }

    /// <inheritdoc />
    public async ValueTask<BranchObservation> ObserveAsync(string globalId, CancellationToken cancellationToken)
    {
        await EnsureMarkersAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.ObserveAsync(DataSource, globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<FenceOutcome> FenceAsync(string globalId, CancellationToken cancellationToken)
    {
        await EnsureMarkersAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.FenceAsync(DataSource, globalId, FenceLockTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> GetMarkersAsync(string globalIdPrefix, bool fenced, TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        await EnsureMarkersAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.ListAsync(DataSource, globalIdPrefix, fenced, olderThan, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> DeleteMarkersAsync(IReadOnlyCollection<string> globalIds, CancellationToken cancellationToken)
    {
        await EnsureMarkersAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.DeleteAsync(DataSource, globalIds, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the marker table once per resource; a failed attempt is made again by the next call.</summary>
    internal Task EnsureMarkersAsync(CancellationToken cancellationToken)
    {
        var created = Volatile.Read(ref _markersCreated);
        if (created is null || created.IsFaulted || created.IsCanceled)
        {
            var attempt = PostgresBranchMarkers.EnsureCreatedAsync(DataSource, CancellationToken.None).AsTask();
            created = Interlocked.CompareExchange(ref _markersCreated, attempt, created) == created ? attempt : Volatile.Read(ref _markersCreated)!;
        }

        return created.IsCompletedSuccessfully ? Task.CompletedTask : created.WaitAsync(cancellationToken);
    }
}
