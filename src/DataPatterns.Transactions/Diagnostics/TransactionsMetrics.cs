using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DataPatterns.Transactions;

/// <summary>The package's one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <c>DataPatterns.Transactions</c>.</summary>
internal sealed class TransactionsMetrics : IDisposable
{
    public const string Name = TransactionsTelemetry.Name;

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private long _inDoubtBranches;
    private double _oldestPreparedAgeSeconds;

    public TransactionsMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Commits = _meter.CreateCounter<long>("datapatterns.transactions.commits", "{transaction}", "Transactions committed (tag datapatterns.transactions.mode: one_phase, two_phase, read_only).");
        Aborts = _meter.CreateCounter<long>("datapatterns.transactions.aborts", "{transaction}", "Transactions rolled back (tag datapatterns.transactions.reason).");
        HeuristicOutcomes = _meter.CreateCounter<long>("datapatterns.transactions.heuristic_outcomes", "{branch}", "Branches found rolled back after a commit decision.");
        RecoveryActions = _meter.CreateCounter<long>("datapatterns.transactions.recovery.actions", "{branch}", "Branches resolved by recovery or phase-2 retries (tag datapatterns.transactions.action: commit, rollback, forget).");
        CommitDuration = _meter.CreateHistogram<double>("datapatterns.transactions.commit.duration", "s", "Time from CommitAsync to the caller's answer.");
        _meter.CreateObservableGauge("datapatterns.transactions.in_doubt_branches", () => Interlocked.Read(ref _inDoubtBranches), "{branch}", "Prepared branches of this node seen by the last recovery pass.");
        _meter.CreateObservableGauge("datapatterns.transactions.oldest_prepared_age", () => Volatile.Read(ref _oldestPreparedAgeSeconds), "s", "Age of the oldest prepared branch of this node seen by the last recovery pass.");
    }

    public Counter<long> Commits { get; }

    public Counter<long> Aborts { get; }

    public Counter<long> HeuristicOutcomes { get; }

    public Counter<long> RecoveryActions { get; }

    public Histogram<double> CommitDuration { get; }

    public void ReportInDoubt(long branches, TimeSpan oldestAge)
    {
        Interlocked.Exchange(ref _inDoubtBranches, branches);
        Volatile.Write(ref _oldestPreparedAgeSeconds, oldestAge.TotalSeconds);
    }

    public void Dispose() => _meter.Dispose();
}
