namespace DataPatterns.Transactions;

public sealed partial class TwoPhaseCommitCoordinator
{
    private readonly List<IHeldNodeClaim> _nodeClaims = [];
    private readonly SemaphoreSlim _nodeClaimGate = new(1, 1);
    private readonly NodeClaimOwner _nodeClaimOwner = new();
    private bool _nodeClaimed;

    /// <summary>
    /// Claims this coordinator's prefix and node id on every resource and on the decision log that can hold such a claim
    /// (<see cref="ICoordinatorNodeClaim"/>; once per database), and holds the claims until the coordinator is disposed.
    /// The recovery service does this at start, before its first pass; call it yourself when you run recovery without it.
    /// A second call does nothing. Every recovery pass afterwards checks the claims first, takes a lost one again (its
    /// session ended, say, with a server restart), and fails when another coordinator took it meanwhile. Stateless commit
    /// has no node identity and claims nothing.
    /// </summary>
    /// <exception cref="CoordinatorNodeInUseException">Another live coordinator uses the same prefix and node id on one of them.</exception>
    public async ValueTask ClaimNodeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        if (_options.StatelessCommit)
        {
            return;
        }

        await _nodeClaimGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Again inside the gate: DisposeAsync may have released the claims between the check above and here, and
            // claims taken now would never be released.
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            if (_nodeClaimed)
            {
                return;
            }

            try
            {
                foreach (var claimant in ClaimantsByScope())
                {
                    _nodeClaims.Add(await claimant.ClaimNodeAsync(_options.Prefix, _options.NodeId, _nodeClaimOwner, cancellationToken).ConfigureAwait(false));
                }
            }
            catch
            {
                await ReleaseNodeClaimsAsync().ConfigureAwait(false);
                throw;
            }

            _nodeClaimed = true;
        }
        finally
        {
            _nodeClaimGate.Release();
        }
    }

    /// <summary>
    /// Before a recovery pass: takes again any claim that was lost, and stops the pass when another coordinator took one
    /// meanwhile, since recovery is where two coordinators with one node id do their harm.
    /// </summary>
    private async ValueTask RenewNodeClaimsAsync(CancellationToken cancellationToken)
    {
        if (!_nodeClaimed)
        {
            return;
        }

        await _nodeClaimGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var claim in _nodeClaims)
            {
                await claim.RenewAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _nodeClaimGate.Release();
        }
    }

    /// <summary>The decision log and the resources that can hold a node claim, one per database.</summary>
    private List<ICoordinatorNodeClaim> ClaimantsByScope()
    {
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        var claimants = _resources.Values.OfType<ICoordinatorNodeClaim>().ToList();
        if (_log is ICoordinatorNodeClaim log)
        {
            claimants.Insert(0, log);
        }

        return claimants.FindAll(c => scopes.Add(c.NodeClaimScope));
    }

    private async ValueTask ReleaseNodeClaimsAsync()
    {
        foreach (var claim in _nodeClaims)
        {
            await claim.DisposeAsync().ConfigureAwait(false);
        }

        _nodeClaims.Clear();
    }
}
