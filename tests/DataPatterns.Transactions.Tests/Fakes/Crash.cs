namespace DataPatterns.Transactions.Tests;

/// <summary>
/// An in-process stand-in for kill -9: at the chosen step the observer never returns, so the coordinator does nothing
/// more for that transaction, exactly as a killed process would. A fresh coordinator then recovers.
/// </summary>
internal static class Crash
{
    public static async Task CommitUntilAsync(TwoPhaseCommitCoordinator coordinator, DistributedTransaction transaction, TransactionProtocolStep step)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        coordinator.StepObserver = (current, _) =>
        {
            if (current != step)
            {
                return ValueTask.CompletedTask;
            }

            reached.TrySetResult();
            return new ValueTask(never.Task);
        };

        var commit = transaction.CommitAsync().AsTask();
        var first = await Task.WhenAny(reached.Task, commit).WaitAsync(TimeSpan.FromSeconds(10));
        if (first == commit)
        {
            await commit; // surfaces an abort before the step
            throw new InvalidOperationException($"The commit finished without reaching {step}.");
        }
    }
}
