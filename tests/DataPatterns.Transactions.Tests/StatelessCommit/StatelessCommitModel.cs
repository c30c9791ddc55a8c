namespace DataPatterns.Transactions.Tests.StatelessCommit;

/// <summary>
/// A model of stateless two-phase commit over participants that each hold a branch and a marker key, with one
/// coordinator, two recovery instances and marker deletion, stepped one action at a time in an order the test picks.
/// Recovery decides with the real <see cref="StatelessRecoveryDecision"/>; the rest mirrors what PostgreSQL does with a
/// unique key: a branch's marker insert and a fence on the same key cannot both commit, and a fence waits (here: gives
/// up and looks again) while a running or prepared branch holds the key.
/// </summary>
internal sealed partial class StatelessCommitModel
{
    private readonly Participant[] _participants;
    private readonly Coordinator _coordinator;
    private readonly Recovery[] _recoveries;

    public StatelessCommitModel(int participants, MarkerRules rules, int recoveries = 2)
    {
        _participants = Enumerable.Range(0, participants).Select(_ => new Participant()).ToArray();
        _coordinator = new Coordinator(participants);
        _recoveries = Enumerable.Range(0, recoveries).Select(_ => new Recovery()).ToArray();
        Rules = rules;
    }

    public MarkerRules Rules { get; }

    /// <summary>The caller was answered "committed".</summary>
    public bool ToldCommitted => _coordinator.ToldCommitted;

    public IReadOnlyList<Participant> Participants => _participants;

    /// <summary>What went wrong, or null: a mixed outcome, a broken promise, or a branch left prepared.</summary>
    public string? Violation()
    {
        var committed = _participants.Count(p => p.Branch == BranchState.Committed);
        if (committed > 0 && committed < _participants.Length)
        {
            return $"mixed outcome: {Describe()}";
        }

        if (ToldCommitted && committed != _participants.Length)
        {
            return $"the caller was told committed, but: {Describe()}";
        }

        return _participants.Any(p => p.Branch == BranchState.Prepared) ? $"a branch is left prepared: {Describe()}" : null;
    }

    public string Describe() => string.Join(", ", _participants.Select((p, i) => $"p{i} {p.Branch}/{p.Marker}"));

    /// <summary>
    /// Takes the enabled action that <paramref name="choice"/> picks (modulo their total weight); false when none is
    /// enabled. Crashes and restarts weigh less than progress, so that long runs of progress, where the races are, come
    /// up often.
    /// </summary>
    public bool Step(int choice)
    {
        var actions = Enabled();
        if (actions.Count == 0)
        {
            return false;
        }

        var total = actions.Sum(a => a.Weight);
        var pick = (int)((uint)choice % (uint)total);
        foreach (var (weight, act) in actions)
        {
            if (pick < weight)
            {
                act();
                return true;
            }

            pick -= weight;
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// Lets everything finish: the coordinator completes (or its sessions die after a crash), then one recovery runs
    /// until it has acted on a verdict. Nothing is deleted meanwhile.
    /// </summary>
    public void Settle()
    {
        // A live coordinator goes on to the end (its first action is always the crash, so it is skipped here).
        while (CoordinatorActions().Skip(1).FirstOrDefault() is { } coordinatorStep)
        {
            coordinatorStep();
        }

        foreach (var participant in _participants.Where(p => p.Branch == BranchState.Inserted))
        {
            participant.Branch = BranchState.RolledBack; // the crashed coordinator's sessions end; the server rolls back
        }

        var last = new Recovery();
        for (var round = 0; round < 10 && (_participants.Any(p => p.Branch == BranchState.Prepared) || !last.Finished); round++)
        {
            last.Restart();
            while (RecoveryActions(last).FirstOrDefault() is { } recoveryStep)
            {
                recoveryStep();
            }
        }
    }

    private List<(int Weight, Action Act)> Enabled()
    {
        const int Progress = 8, Failure = 1;
        var coordinator = CoordinatorActions();
        var actions = coordinator.Select((act, i) => (i == 0 ? Failure : Progress, act)).ToList(); // the first is the crash
        foreach (var recovery in _recoveries)
        {
            actions.AddRange(RecoveryActions(recovery).Select(act => (Progress, act)));
            actions.Add((Failure, recovery.Restart)); // a recovery instance dies and another starts over
        }

        actions.AddRange(ServerActions().Select(act => (Progress, act)));
        actions.AddRange(DeletionActions().Select(act => (Progress, act)));
        return actions;
    }

    /// <summary>After a coordinator crash, each of its running sessions may end (and roll back) at any time.</summary>
    private IEnumerable<Action> ServerActions() => _coordinator.Crashed
        ? _participants.Where(p => p.Branch == BranchState.Inserted).Select(p => (Action)(() => p.Branch = BranchState.RolledBack))
        : [];

    private IEnumerable<Action> DeletionActions() =>
        _participants.Where(DeletionAllowed).Select(p => (Action)(() => p.Marker = MarkerState.None));

    /// <summary>
    /// A committed marker may go once no branch is prepared anywhere; a fence once the coordinator can no longer
    /// prepare (in the library: its transaction timeout has passed). Either rule can be turned off to show its need.
    /// </summary>
    private bool DeletionAllowed(Participant participant) => participant.Marker switch
    {
        MarkerState.Committed => !Rules.KeepCommittedWhilePrepared || _participants.All(p => p.Branch != BranchState.Prepared),
        MarkerState.Aborted => !Rules.KeepFencesWhileCoordinatorVotes || !_coordinator.MayStillPrepare,
        _ => false,
    };

    /// <summary>The marker-deletion rules; turning one off shows what it protects.</summary>
    public sealed record MarkerRules(bool KeepCommittedWhilePrepared, bool KeepFencesWhileCoordinatorVotes)
    {
        public static MarkerRules Safe { get; } = new(true, true);
    }
}
