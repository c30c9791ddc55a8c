namespace DataPatterns.Transactions.Tests.StatelessCommit;

// The coordinator's and the recoveries' steps. Each step is one round trip to one participant.
internal sealed partial class StatelessCommitModel
{
    private List<Action> CoordinatorActions()
    {
        var actions = new List<Action>();
        if (_coordinator.Crashed || _coordinator.Phase == CoordinatorPhase.Done)
        {
            return actions;
        }

        actions.Add(() => _coordinator.Crashed = true);
        for (var i = 0; i < _participants.Length; i++)
        {
            var index = i;
            var participant = _participants[i];
            switch (_coordinator.Phase)
            {
                case CoordinatorPhase.Voting when _coordinator.Stage[i] == 0:
                    actions.Add(() => InsertMarker(index));
                    break;
                case CoordinatorPhase.Voting when _coordinator.Stage[i] == 1:
                    actions.Add(() => Prepare(index));
                    actions.Add(() => VoteNo(index));
                    break;
                case CoordinatorPhase.Committing when participant.Branch == BranchState.Prepared:
                    actions.Add(() => { participant.CommitPrepared(); FinishWhenNothingLeft(); });
                    break;
                case CoordinatorPhase.Aborting when participant.Branch is BranchState.Prepared or BranchState.Inserted:
                    actions.Add(() => { participant.Branch = BranchState.RolledBack; FinishWhenNothingLeft(); });
                    break;
            }
        }

        if (_coordinator.Phase != CoordinatorPhase.Voting && !actions.Skip(1).Any())
        {
            actions.Add(FinishWhenNothingLeft);
        }

        return actions;
    }

    private void InsertMarker(int index)
    {
        var participant = _participants[index];
        if (participant.Marker != MarkerState.None)
        {
            participant.Branch = BranchState.Failed; // unique violation: a fence (or an old marker) holds the key
            _coordinator.Phase = CoordinatorPhase.Aborting;
            return;
        }

        participant.Branch = BranchState.Inserted;
        _coordinator.Stage[index] = 1;
    }

    private void Prepare(int index)
    {
        _participants[index].Branch = BranchState.Prepared;
        _coordinator.Stage[index] = 2;
        if (_coordinator.Stage.All(s => s == 2))
        {
            // Every branch voted yes: the transaction is committed, and the caller is answered before phase 2.
            _coordinator.ToldCommitted = true;
            _coordinator.Phase = CoordinatorPhase.Committing;
        }
    }

    private void VoteNo(int index)
    {
        _participants[index].Branch = BranchState.RolledBack; // the branch's own statement failed; its transaction ends
        _coordinator.Phase = CoordinatorPhase.Aborting;
    }

    private void FinishWhenNothingLeft()
    {
        var left = _coordinator.Phase == CoordinatorPhase.Committing
            ? _participants.Any(p => p.Branch == BranchState.Prepared)
            : _participants.Any(p => p.Branch is BranchState.Prepared or BranchState.Inserted);
        if (!left)
        {
            _coordinator.Phase = CoordinatorPhase.Done;
        }
    }

    private IEnumerable<Action> RecoveryActions(Recovery recovery)
    {
        if (recovery.Finished)
        {
            yield break;
        }

        if (recovery.Verdict is null)
        {
            yield return () => Observe(recovery);
            yield break;
        }

        if (recovery.ToDo.Count > 0)
        {
            yield return () => Act(recovery, recovery.ToDo.Dequeue());
        }
        else
        {
            yield return () => recovery.Finished = true;
        }
    }

    private void Observe(Recovery recovery)
    {
        recovery.Seen ??= new BranchObservation[_participants.Length];
        recovery.Seen[recovery.Next] = _participants[recovery.Next].Observe();
        recovery.Next++;
        if (recovery.Next < _participants.Length)
        {
            return;
        }

        var verdict = StatelessRecoveryDecision.Decide(recovery.Seen);
        recovery.Verdict = verdict;
        var targets = verdict == StatelessRecoveryVerdict.FenceAbsent
            ? Enumerable.Range(0, _participants.Length).Where(i => recovery.Seen[i] == BranchObservation.Absent)
            : Enumerable.Range(0, _participants.Length);
        foreach (var target in targets)
        {
            recovery.ToDo.Enqueue(target);
        }
    }

    private void Act(Recovery recovery, int index)
    {
        var participant = _participants[index];
        switch (recovery.Verdict)
        {
            case StatelessRecoveryVerdict.Commit:
                participant.CommitPrepared();
                break;
            case StatelessRecoveryVerdict.Abort:
                participant.RollbackPrepared();
                break;
            case StatelessRecoveryVerdict.FenceAbsent:
                Fence(recovery, participant);
                break;
        }
    }

    private void Fence(Recovery recovery, Participant participant)
    {
        if (participant.Marker != MarkerState.None || participant.Branch is BranchState.Inserted or BranchState.Prepared)
        {
            recovery.Restart(); // the key is taken or held: the transaction moved on, or a branch is running; look again
            return;
        }

        participant.Marker = MarkerState.Aborted; // landed: this participant can never prepare, so the transaction aborted
        recovery.Verdict = StatelessRecoveryVerdict.Abort;
        recovery.ToDo.Clear();
        for (var i = 0; i < _participants.Length; i++)
        {
            recovery.ToDo.Enqueue(i);
        }
    }
}
