// Usage: <mode: coordinator|scope|lastresource|stateless> <pause step: FirstPrepared|AllPrepared|DecisionLogged|FirstCommitted|None>
//        <payments connection string> <orders connection string> <prefix> <node> <decision log path> <order id>
// Moves 10 from account 1 in payments to a new order row in orders. Prints "STEP <name>" at each protocol step and,
// at the pause step, waits forever so the test can kill -9 it there. Prints "DONE" when the transfer committed.
// "lastresource" keeps the decisions in payments' database and commits payments with the decision (no log file).
// "stateless" keeps no decisions at all; paused at FirstPrepared, its orders branch is made slow to send its prepare,
// so that the kill finds payments prepared and orders not.
// "cross-file", "cross-mysql" and "cross-npgsql" put orders on MariaDB (an XA branch): see CrossEngine/CrossEngineTransfer.cs.
using System.Transactions;
using DataPatterns.Transactions;
using DataPatterns.Transactions.Npgsql;
using DataPatterns.Transactions.TestHost.CrossEngine;
using Npgsql;

if (args[0].StartsWith("cross-", StringComparison.Ordinal))
{
    return await CrossEngineTransfer.RunAsync(args);
}

var mode = args[0];
var pause = args[1];
await using var payments = NpgsqlTransactionResource.Create("payments", args[2]);
await using var orders = NpgsqlTransactionResource.Create("orders", args[3]);
var lastResource = mode == "lastresource";
var stateless = mode == "stateless";
var options = new TwoPhaseCommitOptions { Prefix = args[4], NodeId = args[5], TransactionTimeout = TimeSpan.FromSeconds(30), LastResourceCommit = lastResource, StatelessCommit = stateless };
IDecisionLog? log = stateless ? null : lastResource ? NpgsqlDecisionLog.Create(args[2]) : new FileDecisionLog(args[6]);
await using var logLifetime = log as IAsyncDisposable;
await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);
var orderId = args[7];
coordinator.StepObserver = async (step, _) =>
{
    Console.WriteLine($"STEP {step}");
    Console.Out.Flush();
    if (string.Equals(step.ToString(), pause, StringComparison.Ordinal))
    {
        await Task.Delay(Timeout.Infinite);
    }
};

if (mode == "scope")
{
    using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
    {
        var transaction = coordinator.JoinAmbientTransaction();
        await TransferAsync(transaction);
        scope.Complete();
    }
}
else
{
    await using var transaction = coordinator.Begin();
    await TransferAsync(transaction);
    await transaction.CommitAsync();
}

Console.WriteLine("DONE");
return 0;

async Task TransferAsync(DistributedTransaction transaction)
{
    var debit = await transaction.EnlistNpgsqlAsync("payments");
    await using (var command = new NpgsqlCommand("UPDATE accounts SET balance = balance - 10 WHERE id = 1", debit.Connection))
    {
        await command.ExecuteNonQueryAsync();
    }

    NpgsqlTransactionBranch credit;
    if (stateless && pause == "FirstPrepared")
    {
        credit = await orders.OpenBranchAsync();
        transaction.Enlist(new SlowToPrepare(credit));
    }
    else
    {
        credit = await transaction.EnlistNpgsqlAsync("orders");
    }

    await using (var command = new NpgsqlCommand("INSERT INTO orders (id, amount) VALUES ($1, 10)", credit.Connection))
    {
        command.Parameters.Add(new NpgsqlParameter { Value = orderId });
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A branch whose marker-and-prepare leaves only after a minute (the process is killed long before).</summary>
internal sealed class SlowToPrepare(NpgsqlTransactionBranch inner) : IStatelessParticipant, IAsyncDisposable
{
    public string ResourceName => inner.ResourceName;

    public async ValueTask PrepareWithMarkerAsync(string globalId, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMinutes(1), cancellationToken);
        await inner.PrepareWithMarkerAsync(globalId, cancellationToken);
    }

    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken) => inner.PrepareAsync(globalId, cancellationToken);

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) => inner.CommitPreparedAsync(globalId, cancellationToken);

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
