namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A PostgreSQL resource in stateless two-phase commit: the resource's own prepared-branch commands, plus the marker
/// table in its database (<see cref="PostgresBranchMarkers"/>), created on first use.
/// </summary>
internal sealed class NpgsqlStatelessResource(NpgsqlTransactionResource resource, TimeSpan fenceLockTimeout) : IStatelessResource
{
    private readonly Lazy<Task> _created = new(() => PostgresBranchMarkers.EnsureCreatedAsync(resource.DataSource, CancellationToken.None).AsTask());

    public string Name => resource.Name;

    public ValueTask ValidateAsync(CancellationToken cancellationToken) => resource.ValidateAsync(cancellationToken);

    public ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken) =>
        resource.GetInDoubtBranchesAsync(globalIdPrefix, cancellationToken);

    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        try
        {
            return await resource.CommitPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
        }
        catch (global::Npgsql.PostgresException ex) when (IsBusy(ex))
        {
            return BranchCompletion.NotFound;
        }
    }

    public async ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        try
        {
            return await resource.RollbackPreparedAsync(globalId, cancellationToken).ConfigureAwait(false);
        }
        catch (global::Npgsql.PostgresException ex) when (IsBusy(ex))
        {
            return BranchCompletion.NotFound;
        }
    }

    // "prepared transaction ... is busy": another resolver's session is completing this branch right now, to the same
    // outcome (the verdict is the same for everyone); if that session fails, the branch stays prepared for the next pass.
    private static bool IsBusy(global::Npgsql.PostgresException exception) => exception.SqlState == "55000";

    public async ValueTask<BranchObservation> ObserveAsync(string globalId, CancellationToken cancellationToken)
    {
        await _created.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.ObserveAsync(resource.DataSource, globalId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<FenceOutcome> FenceAsync(string globalId, CancellationToken cancellationToken)
    {
        await _created.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresBranchMarkers.FenceAsync(resource.DataSource, globalId, fenceLockTimeout, cancellationToken).ConfigureAwait(false);
    }
}
