using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions;

/// <summary>The package's log messages (source-generated).</summary>
internal static partial class TransactionsLog
{
    [LoggerMessage(3001, LogLevel.Warning, "Transaction {TransactionId} rolled back: {Reason}")]
    public static partial void Aborted(ILogger logger, Guid transactionId, string reason, Exception? exception);

    [LoggerMessage(3002, LogLevel.Warning, "Phase 2 of transaction {TransactionId} failed on '{Resource}' ({GlobalId}); the commit is durable and will be retried in the background")]
    public static partial void PhaseTwoDeferred(ILogger logger, Guid transactionId, string resource, string globalId, Exception? exception);

    [LoggerMessage(3003, LogLevel.Critical, "Heuristic outcome: transaction {TransactionId} was decided COMMIT but branch {GlobalId} on '{Resource}' had already been rolled back")]
    public static partial void Heuristic(ILogger logger, Guid transactionId, string globalId, string resource);

    [LoggerMessage(3004, LogLevel.Information, "Recovery {Action} branch {GlobalId} on '{Resource}'")]
    public static partial void Recovered(ILogger logger, string action, string globalId, string resource);

    [LoggerMessage(3005, LogLevel.Warning, "Recovery could not reach resource '{Resource}'; its branches stay in doubt until the next pass")]
    public static partial void ResourceUnreachable(ILogger logger, string resource, Exception exception);

    [LoggerMessage(3006, LogLevel.Warning, "Rolling back branch {GlobalId} on '{Resource}' failed; recovery will roll it back (presumed abort)")]
    public static partial void RollbackFailed(ILogger logger, string globalId, string resource, Exception exception);

    [LoggerMessage(3007, LogLevel.Information, "Phase 2 of transaction {TransactionId} completed in the background")]
    public static partial void PhaseTwoCompleted(ILogger logger, Guid transactionId);

    [LoggerMessage(3008, LogLevel.Error, "The recovery pass failed; it runs again in {Interval}")]
    public static partial void RecoveryPassFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(3009, LogLevel.Information, "Recovery pass: {Committed} committed, {RolledBack} rolled back, {Waiting} left waiting, {Forgotten} decisions forgotten")]
    public static partial void RecoveryPass(ILogger logger, int committed, int rolledBack, int waiting, int forgotten);

    [LoggerMessage(3010, LogLevel.Warning, "The decision log cut a torn last append at byte {Offset} of {Path} (a crash before its fsync: never acknowledged); {Records} earlier records kept")]
    public static partial void TornRecord(ILogger logger, long offset, string path, int records);

    [LoggerMessage(3011, LogLevel.Warning, "Branch {GlobalId} on '{Resource}' of transaction {TransactionId} committed, but releasing its connection failed")]
    public static partial void ReleaseFailed(ILogger logger, Guid transactionId, string resource, string globalId, Exception exception);

    [LoggerMessage(3012, LogLevel.Error, "Phase 2 of transaction {TransactionId} failed in the background; its decision stays in the log and recovery commits what is left")]
    public static partial void BackgroundPhaseTwoFailed(ILogger logger, Guid transactionId, Exception exception);

    [LoggerMessage(3013, LogLevel.Warning, "The write that carries the decision of transaction {TransactionId} ({Resource}) failed or lost its answer; asking the decision log whether it committed")]
    public static partial void DecisionWriteUncertain(ILogger logger, Guid transactionId, string resource, Exception exception);

    [LoggerMessage(3014, LogLevel.Error, "Transaction {TransactionId} is in doubt: the write that carries its decision ({Resource}) failed and the decision log cannot be asked; recovery resolves its prepared branches")]
    public static partial void DecisionInDoubt(ILogger logger, Guid transactionId, string resource, Exception exception);

    [LoggerMessage(3015, LogLevel.Error, "Decision log {Path}: {Length} bytes at byte {Offset} could not be read ({Reason}); the record they held (possibly of transaction {TransactionId}) is lost. If it was a commit decision, commit that transaction's prepared branches by hand before recovery's grace period ends (their global ids contain the transaction id)")]
    public static partial void SalvageLostRecord(ILogger logger, string path, long offset, long length, string reason, string transactionId);

    [LoggerMessage(3016, LogLevel.Warning, "Decision log {Path} salvaged: {Kept} readable records kept, {Damaged} damaged ranges dropped; the file as it was is kept in {DamagedCopy}")]
    public static partial void Salvaged(ILogger logger, string path, int kept, int damaged, string damagedCopy);

    [LoggerMessage(3017, LogLevel.Information, "The decision log path '{Configured}' is relative to the working folder; it resolved to {Path}. Set an absolute path on a durable disk so that a restart from another folder finds the same file")]
    public static partial void RelativeLogPath(ILogger logger, string configured, string path);

    [LoggerMessage(3018, LogLevel.Warning, "Two-phase commit: transactions began {Seconds} s ago but recovery has not run: nothing started the hosted recovery service (IHostedService), so branches a crash leaves prepared would stay prepared and keep their locks. Build and run a generic host (Host.CreateApplicationBuilder(...).Build().RunAsync()), or call TwoPhaseCommitCoordinator.RecoverAsync on a timer yourself")]
    public static partial void RecoveryNotStarted(ILogger logger, double seconds);

    [LoggerMessage(3019, LogLevel.Warning, "Stateless commit: could not {Action} branch {GlobalId} on '{Resource}' now; the outcome is fixed by the participants and the next recovery pass finishes it")]
    public static partial void StatelessCompletionDeferred(ILogger logger, string action, string globalId, string resource, Exception exception);

    [LoggerMessage(3020, LogLevel.Warning, "Stateless commit: transaction {TransactionId} did not prepare everywhere ({Reason}); asking its participants what became of it")]
    public static partial void StatelessPrepareIncomplete(ILogger logger, Guid transactionId, string reason, Exception? exception);

    [LoggerMessage(3021, LogLevel.Error, "Stateless commit: transaction {TransactionId} is still undecided after asking its participants (a fence met a branch still holding its key); recovery finishes it")]
    public static partial void StatelessUndecided(ILogger logger, Guid transactionId);

    [LoggerMessage(3022, LogLevel.Warning, "Stateless recovery: branch {GlobalId} on '{Resource}' names participant '{Missing}', which is not registered here; it is left for an instance that has it")]
    public static partial void StatelessParticipantUnknown(ILogger logger, string globalId, string resource, string missing);

    [LoggerMessage(3023, LogLevel.Information, "Stateless recovery: transaction {TransactionId} {Outcome}")]
    public static partial void StatelessResolved(ILogger logger, Guid transactionId, string outcome);

    [LoggerMessage(3024, LogLevel.Information, "Stateless recovery deleted {Count} old markers on '{Resource}'")]
    public static partial void MarkersDeleted(ILogger logger, int count, string resource);

    [LoggerMessage(3025, LogLevel.Warning, "Audit: transaction {TransactionId} {Outcome} by hand. Reason: {Reason}. Branches: {Branches}")]
    public static partial void ResolvedByHand(ILogger logger, Guid transactionId, string outcome, string reason, string branches);

    [LoggerMessage(3026, LogLevel.Warning, "Audit: transaction {TransactionId} is committed by hand without a commit decision on record (the operator's call). Reason: {Reason}")]
    public static partial void CommittedWithoutDecision(ILogger logger, Guid transactionId, string reason);

    [LoggerMessage(3027, LogLevel.Warning, "Took over node '{Node}': no live coordinator held its claim; its recovery pass committed {Committed} and rolled back {RolledBack} branches, {Waiting} left waiting")]
    public static partial void TookOver(ILogger logger, string node, int committed, int rolledBack, int waiting);
}
