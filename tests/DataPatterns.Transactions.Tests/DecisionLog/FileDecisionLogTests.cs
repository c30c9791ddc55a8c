namespace DataPatterns.Transactions.Tests.DecisionLog;

public sealed class FileDecisionLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txlog-").FullName;

    private string LogPath => Path.Combine(_directory, "decisions.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Decisions_survive_a_reopen_and_forgotten_ones_do_not()
    {
        var first = Decision();
        var second = Decision();
        await using (var log = new FileDecisionLog(LogPath))
        {
            await log.RecordCommitAsync(first, CancellationToken.None);
            await log.RecordCommitAsync(second, CancellationToken.None);
            await log.ForgetAsync(first.TransactionId, CancellationToken.None);
        }

        await using var reopened = new FileDecisionLog(LogPath);
        var open = await reopened.ReadCommittedAsync(CancellationToken.None);

        var decision = Assert.Single(open);
        Assert.Equal(second.TransactionId, decision.TransactionId);
        Assert.Equal(second.Branches, decision.Branches);
        Assert.Equal(second.DecidedAt, decision.DecidedAt);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(30)]
    public async Task A_torn_last_record_is_ignored_and_earlier_records_are_kept(int bytesCut)
    {
        var kept = Decision();
        var torn = Decision();
        await using (var log = new FileDecisionLog(LogPath))
        {
            await log.RecordCommitAsync(kept, CancellationToken.None);
            await log.RecordCommitAsync(torn, CancellationToken.None);
        }

        // A crash mid-append: the last record reached the disk only in part.
        var length = new FileInfo(LogPath).Length;
        await using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(length - bytesCut);
        }

        var after = Decision();
        await using (var log = new FileDecisionLog(LogPath))
        {
            Assert.Equal([kept.TransactionId], (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId));
            await log.RecordCommitAsync(after, CancellationToken.None); // appends after the good data, not after the torn bytes
        }

        await using var reopened = new FileDecisionLog(LogPath);
        Assert.Equal(
            new[] { kept.TransactionId, after.TransactionId }.Order(),
            (await reopened.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
    }

    [Fact]
    public async Task Concurrent_decisions_share_fsyncs()
    {
        await using var log = new FileDecisionLog(LogPath);
        var decisions = Enumerable.Range(0, 200).Select(_ => Decision()).ToArray();

        await Task.WhenAll(decisions.Select(d => Task.Run(() => log.RecordCommitAsync(d, CancellationToken.None).AsTask())));

        Assert.Equal(200, (await log.ReadCommittedAsync(CancellationToken.None)).Count);
        Assert.InRange(log.FsyncCount, 1, 199);
    }

    [Fact]
    public async Task Forgetting_needs_no_fsync_and_is_written_by_close()
    {
        var decisions = Enumerable.Range(0, 10).Select(_ => Decision()).ToArray();
        var log = new FileDecisionLog(LogPath);
        foreach (var decision in decisions)
        {
            await log.RecordCommitAsync(decision, CancellationToken.None);
        }

        var fsyncs = log.FsyncCount;
        foreach (var decision in decisions.Skip(1))
        {
            await log.ForgetAsync(decision.TransactionId, CancellationToken.None);
        }

        await log.DisposeAsync(); // writes what is queued

        Assert.Equal(fsyncs, log.FsyncCount);
        await using var reopened = new FileDecisionLog(LogPath);
        Assert.Equal([decisions[0].TransactionId], (await reopened.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId));
    }

    [Fact]
    public async Task A_forgotten_decision_is_no_longer_listed_as_soon_as_forget_returns()
    {
        var decisions = Enumerable.Range(0, 50).Select(_ => Decision()).ToArray();
        await using var log = new FileDecisionLog(LogPath);
        foreach (var decision in decisions)
        {
            await log.RecordCommitAsync(decision, CancellationToken.None);
        }

        // What a recovery pass does before anyone reads the log again: no wait for the forget record's write.
        foreach (var decision in decisions.Take(49))
        {
            await log.ForgetAsync(decision.TransactionId, CancellationToken.None);
            Assert.DoesNotContain(decision.TransactionId, (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId));
        }

        Assert.Equal([decisions[^1].TransactionId], (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId));
    }

    [Fact]
    public async Task Many_concurrent_decisions_beyond_the_queue_capacity_all_become_durable()
    {
        var options = new FileDecisionLogOptions { Path = LogPath, QueueCapacity = 4 };
        var decisions = Enumerable.Range(0, 100).Select(_ => Decision()).ToArray();
        await using (var log = new FileDecisionLog(options))
        {
            await Task.WhenAll(decisions.Select(d => Task.Run(() => log.RecordCommitAsync(d, CancellationToken.None).AsTask())));
            Assert.Equal(100, (await log.ReadCommittedAsync(CancellationToken.None)).Count);
        }

        await using var reopened = new FileDecisionLog(LogPath);
        Assert.Equal(decisions.Select(d => d.TransactionId).Order(), (await reopened.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
    }

    [Fact]
    public async Task Finished_transactions_are_compacted_away()
    {
        var options = new FileDecisionLogOptions { Path = LogPath, CompactAfterFinished = 50 };
        var open = Decision();
        await using (var log = new FileDecisionLog(options))
        {
            await log.RecordCommitAsync(open, CancellationToken.None);
            for (var i = 0; i < 120; i++)
            {
                var finished = Decision();
                await log.RecordCommitAsync(finished, CancellationToken.None);
                await log.ForgetAsync(finished.TransactionId, CancellationToken.None);
            }

            await log.RecordCommitAsync(Decision(), CancellationToken.None); // flushes the queued forgets
            Assert.True(log.CompactionCount >= 1, "the log compacts after 50 finished transactions");
            Assert.True(log.Length < 120 * 100, $"the file holds only the open decisions after compaction ({log.Length} bytes)");
        }

        await using var reopened = new FileDecisionLog(options);
        var ids = (await reopened.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).ToList();
        Assert.Contains(open.TransactionId, ids);
        Assert.Equal(2, ids.Count);
    }

    [Fact]
    public async Task A_second_process_cannot_open_the_same_log()
    {
        await using var log = new FileDecisionLog(LogPath);

        var error = Assert.Throws<IOException>(() => new FileDecisionLog(LogPath));

        Assert.Contains("Only one coordinator process may use a decision log file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_decision_log_is_refused()
    {
        await File.WriteAllTextAsync(LogPath, "hello, world");

        var error = Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));

        Assert.Contains("is not a DataPatterns decision log", error.Message, StringComparison.Ordinal);
        Assert.Equal("hello, world", await File.ReadAllTextAsync(LogPath)); // never overwritten
    }

    [Fact]
    public async Task The_coordinator_recovers_from_the_file_log_after_a_crash()
    {
        var bank = new Bank();
        var log = new FileDecisionLog(LogPath);
        var crashed = new TwoPhaseCommitCoordinator(bank.Options(), log, [bank.Payments, bank.Orders], bank.Time);
        var transaction = crashed.Begin();
        bank.Payments.Begin(transaction, "alice", -10);
        bank.Orders.Begin(transaction, "order-1", 10);
        await Crash.CommitUntilAsync(crashed, transaction, TransactionProtocolStep.DecisionLogged);
        await log.DisposeAsync(); // the process died: its file handle closes

        await using var reopened = new FileDecisionLog(LogPath);
        await using var fresh = new TwoPhaseCommitCoordinator(bank.Options(), reopened, [bank.Payments, bank.Orders], bank.Time);
        var result = await fresh.RecoverAsync(CancellationToken.None);

        Assert.Equal(2, result.Committed);
        Assert.Equal((-10L, 10L), (bank.Payments["alice"], bank.Orders["order-1"]));
    }

    private static CommitDecision Decision()
    {
        var id = Guid.NewGuid();
        return new CommitDecision(id, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), [
            new CommitBranch("payments", $"test:n1:{id:N}:0"),
            new CommitBranch("orders", $"test:n1:{id:N}:1"),
        ]);
    }
}
