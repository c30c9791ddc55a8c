namespace DataPatterns.Transactions.Tests.Coordination;

/// <summary>
/// The coordinator's side of last-resource commit, with an in-memory fencing log and a last resource whose commit can
/// succeed, lose its answer, fail, or leave the outcome unknowable.
/// </summary>
public sealed class LastResourceCommitTests
{
    [Fact]
    public async Task The_last_resource_is_not_prepared_and_its_commit_carries_the_decision()
    {
        var (bank, log, coordinator) = Setup();
        await using var _ = coordinator;
        await using var transaction = coordinator.Begin();
        var last = new LastResource(log, LastResourceBehaviour.Commits);
        transaction.Enlist(last);
        bank.Orders.Begin(transaction, "order-1", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.False(last.Prepared);
        Assert.True(last.Committed);
        Assert.Equal(10, bank.Orders["order-1"]);
        Assert.Equal([transaction.GlobalIds[1]], log.LastDecision!.Branches.Select(b => b.GlobalId)); // orders only
        Assert.Empty(bank.Orders.PreparedIds);
    }

    [Fact]
    public async Task A_lost_answer_after_the_commit_is_settled_by_the_fence_as_committed()
    {
        var (bank, log, coordinator) = Setup();
        await using var _ = coordinator;
        await using var transaction = coordinator.Begin();
        transaction.Enlist(new LastResource(log, LastResourceBehaviour.CommitsButAnswerIsLost));
        bank.Orders.Begin(transaction, "order-2", 10);

        await transaction.CommitAsync();

        Assert.Equal(DistributedTransactionStatus.Committed, transaction.Status);
        Assert.Equal(10, bank.Orders["order-2"]);
        Assert.Equal(1, log.FenceCalls);
    }

    [Fact]
    public async Task A_failed_commit_is_fenced_as_aborted_and_the_prepared_branch_rolled_back()
    {
        var (bank, log, coordinator) = Setup();
        await using var _ = coordinator;
        var transaction = coordinator.Begin();
        var last = new LastResource(log, LastResourceBehaviour.Fails);
        transaction.Enlist(last);
        bank.Orders.Begin(transaction, "order-3", 10);

        var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal(["payments"], error.FailedParticipants);
        Assert.True(last.RolledBack);
        Assert.Equal(0, bank.Orders["order-3"]);
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.True(log.IsAborted(transaction.Id));
    }

    [Fact]
    public async Task When_neither_the_commit_nor_the_fence_answers_the_caller_is_told_in_doubt_and_recovery_settles_it()
    {
        var (bank, log, coordinator) = Setup();
        await using var _ = coordinator;
        var transaction = coordinator.Begin();
        transaction.Enlist(new LastResource(log, LastResourceBehaviour.Fails));
        bank.Orders.Begin(transaction, "order-4", 10);
        log.Down = true;

        var error = await Assert.ThrowsAsync<TransactionInDoubtException>(() => transaction.CommitAsync().AsTask());

        Assert.Equal("payments", error.ResourceName);
        Assert.Equal(DistributedTransactionStatus.InDoubt, transaction.Status);
        Assert.Single(bank.Orders.PreparedIds); // left prepared: nothing decided, nothing half-done
        Assert.Equal(0, coordinator.InFlightCount);

        log.Down = false;
        var result = await coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, result.RolledBack); // fenced, then presumed aborted
        Assert.True(log.IsAborted(transaction.Id));
        Assert.Empty(bank.Orders.PreparedIds);
        Assert.Equal(0, bank.Orders["order-4"]);
    }

    [Fact]
    public async Task Without_the_option_a_capable_participant_is_prepared_as_usual()
    {
        var bank = new Bank();
        var log = new FencingLog();
        await using var coordinator = new TwoPhaseCommitCoordinator(bank.Options(), log, [bank.Payments, bank.Orders], bank.Time);
        await using var transaction = coordinator.Begin();
        var last = new LastResource(log, LastResourceBehaviour.Commits);
        transaction.Enlist(last);
        bank.Orders.Begin(transaction, "order-5", 10);

        await transaction.CommitAsync();

        Assert.True(last.Prepared);
        Assert.False(last.Committed);
        Assert.Equal(2, log.LastDecision!.Branches.Count);
    }

    [Theory]
    [InlineData(LastResourceBehaviour.CommitsButAnswerIsLost, true)]
    [InlineData(LastResourceBehaviour.Fails, false)]
    public async Task A_decision_write_with_a_lost_answer_is_settled_by_the_fence_not_guessed(LastResourceBehaviour write, bool committed)
    {
        var bank = new Bank();
        var log = new FencingLog { RecordBehaviour = write };
        await using var coordinator = new TwoPhaseCommitCoordinator(bank.Options(), log, [bank.Payments, bank.Orders], bank.Time);
        var transaction = coordinator.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-6", 10);

        if (committed)
        {
            await transaction.CommitAsync();
        }
        else
        {
            var error = await Assert.ThrowsAsync<TwoPhaseCommitAbortedException>(() => transaction.CommitAsync().AsTask());
            Assert.Contains("the decision log did not commit the decision", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(1, log.FenceCalls);
        Assert.Equal(committed ? (-10L, 10L) : (0L, 0L), (bank.Payments["alice"], bank.Orders["order-6"]));
        Assert.Empty(bank.Payments.PreparedIds);
        Assert.Empty(bank.Orders.PreparedIds);
    }

    private static (Bank Bank, FencingLog Log, TwoPhaseCommitCoordinator Coordinator) Setup()
    {
        var bank = new Bank();
        var log = new FencingLog();
        var options = bank.Options();
        options.LastResourceCommit = true;
        return (bank, log, new TwoPhaseCommitCoordinator(options, log, [bank.Payments, bank.Orders], bank.Time));
    }

    public enum LastResourceBehaviour
    {
        Commits,
        CommitsButAnswerIsLost,
        Fails,
    }

    /// <summary>An in-memory decision table with abort rows, and a switch for "its database cannot be asked".</summary>
    private sealed class FencingLog : IFencingDecisionLog
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<Guid, CommitDecision?> _rows = []; // null: an abort row

        public bool Down { get; set; }

        public int FenceCalls { get; private set; }

        public CommitDecision? LastDecision { get; private set; }

        public bool IsAborted(Guid id)
        {
            lock (_gate)
            {
                return _rows.TryGetValue(id, out var row) && row is null;
            }
        }

        public void Insert(CommitDecision decision)
        {
            lock (_gate)
            {
                if (!_rows.TryAdd(decision.TransactionId, decision))
                {
                    throw new InvalidOperationException("duplicate key: the transaction was fenced");
                }

                LastDecision = decision;
            }
        }

        public LastResourceBehaviour RecordBehaviour { get; set; } = LastResourceBehaviour.Commits;

        public ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
        {
            if (RecordBehaviour == LastResourceBehaviour.Fails)
            {
                throw new IOException("decision log: the insert failed");
            }

            Insert(decision);
            return RecordBehaviour == LastResourceBehaviour.CommitsButAnswerIsLost
                ? ValueTask.FromException(new IOException("decision log: connection lost after the insert committed"))
                : ValueTask.CompletedTask;
        }

        public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_rows.TryGetValue(transactionId, out var row) && row is not null)
                {
                    _rows.Remove(transactionId);
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return ValueTask.FromResult<IReadOnlyList<CommitDecision>>(_rows.Values.OfType<CommitDecision>().ToArray());
            }
        }

        public ValueTask<bool> TryRecordAbortAsync(Guid transactionId, CancellationToken cancellationToken)
        {
            FenceCalls++;
            if (Down)
            {
                throw new IOException("the decision log's database does not answer");
            }

            lock (_gate)
            {
                _rows.TryAdd(transactionId, null);
                return ValueTask.FromResult(_rows[transactionId] is null);
            }
        }

        public ValueTask PurgeAbortsAsync(TimeSpan olderThan, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>"payments": a participant in the log's database.</summary>
    private sealed class LastResource(FencingLog log, LastResourceBehaviour behaviour) : ILastResourceParticipant
    {
        public string ResourceName => "payments";

        public bool Prepared { get; private set; }

        public bool Committed { get; private set; }

        public bool RolledBack { get; private set; }

        public bool CanRecordDecisionIn(IFencingDecisionLog decisionLog) => ReferenceEquals(decisionLog, log);

        public ValueTask CommitWithDecisionAsync(IFencingDecisionLog decisionLog, CommitDecision decision, CancellationToken cancellationToken)
        {
            if (behaviour == LastResourceBehaviour.Fails)
            {
                throw new IOException("payments: the commit failed");
            }

            log.Insert(decision);
            Committed = true;
            return behaviour == LastResourceBehaviour.CommitsButAnswerIsLost
                ? ValueTask.FromException(new IOException("payments: connection lost after COMMIT was sent"))
                : ValueTask.CompletedTask;
        }

        public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
        {
            Prepared = true;
            return ValueTask.FromResult(PrepareVote.Prepared);
        }

        public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(BranchCompletion.Completed);

        public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
        {
            RolledBack = true;
            return ValueTask.CompletedTask;
        }
    }
}
