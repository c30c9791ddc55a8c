using System.Data;
using System.Data.Common;
using DataPatterns.Transactions;
using DataPatterns.Transactions.MySql;
using DataPatterns.Transactions.Npgsql;

namespace DataPatterns.Transactions.TestHost.CrossEngine;

/// <summary>
/// The cross-engine transfer: 10 leaves account 1 in "payments" (PostgreSQL) and becomes an order row in "orders"
/// (MariaDB, an XA branch), in one distributed transaction.
/// Arguments: <c>cross-&lt;log&gt; &lt;pause&gt; &lt;payments&gt; &lt;orders&gt; &lt;prefix&gt; &lt;node&gt; &lt;log path&gt; &lt;order id&gt;</c>,
/// where the log is <c>file</c>, <c>mysql</c> (the decision table in the orders database) or <c>npgsql</c> (in payments),
/// and the pause is <c>Worked</c> (both branches did their work, nothing is prepared), <c>AllPrepared</c>,
/// <c>DecisionLogged</c>, or <c>FirstPrepared:&lt;resource&gt;</c> / <c>FirstCommitted:&lt;resource&gt;</c>: that resource goes
/// first and the other one is held back for a minute, so that the kill finds exactly one of them prepared (or committed).
/// </summary>
internal static class CrossEngineTransfer
{
    private static readonly TimeSpan HoldBack = TimeSpan.FromMinutes(1);

    public static async Task<int> RunAsync(string[] args)
    {
        var logKind = args[0]["cross-".Length..];
        var pause = CrossEnginePause.Parse(args[1]);
        await using var payments = NpgsqlTransactionResource.Create("payments", args[2]);
        await using var orders = MySqlTransactionResource.Create("orders", args[3]);
        IDecisionLog log = logKind switch
        {
            "file" => new FileDecisionLog(args[6]),
            "mysql" => MySqlDecisionLog.Create(args[3]),
            "npgsql" => NpgsqlDecisionLog.Create(args[2]),
            _ => throw new ArgumentException($"Unknown decision log '{logKind}': use cross-file, cross-mysql or cross-npgsql."),
        };
        await using var logLifetime = (IAsyncDisposable)log;
        var options = new TwoPhaseCommitOptions { Prefix = args[4], NodeId = args[5], TransactionTimeout = TimeSpan.FromSeconds(30) };
        await using var coordinator = new TwoPhaseCommitCoordinator(options, log, [payments, orders]);
        coordinator.StepObserver = (step, _) => ReportAsync(step.ToString(), pause);

        await using (var transaction = coordinator.Begin())
        {
            var debit = await EnlistAsync(transaction, payments, pause, default);
            var credit = await EnlistAsync(transaction, orders, pause, default);
            await ExecuteAsync(debit, "UPDATE accounts SET balance = balance - 10 WHERE id = 1", null);
            await ExecuteAsync(credit, "INSERT INTO orders (id, amount) VALUES (@id, 10)", args[7]);
            await ReportAsync("Worked", pause);
            await transaction.CommitAsync();
        }

        Console.WriteLine("DONE");
        return 0;
    }

    /// <summary>Prints the step and, when it is the pause, waits there to be killed.</summary>
    private static async ValueTask ReportAsync(string step, CrossEnginePause pause)
    {
        Console.WriteLine($"STEP {step}");
        Console.Out.Flush();
        if (pause.Step == step)
        {
            await Task.Delay(Timeout.Infinite);
        }
    }

    /// <summary>Enlists a branch of <paramref name="resource"/>; the resource the pause holds back gets a slow branch.</summary>
    private static async ValueTask<IDbTransactionBranch> EnlistAsync(DistributedTransaction transaction, IDbTransactionResource resource, CrossEnginePause pause, CancellationToken cancellationToken)
    {
        var heldBack = pause.HeldBack(resource.Name);
        switch (resource)
        {
            case NpgsqlTransactionResource postgres when heldBack is { } phase:
            {
                var slow = new HeldBackBranch(await postgres.OpenBranchAsync(IsolationLevel.ReadCommitted, cancellationToken), phase, HoldBack);
                transaction.Enlist(slow);
                return slow;
            }

            case MySqlTransactionResource mariaDb when heldBack is { } phase:
            {
                // An XA transaction starts under its global id, which only enlistment gives: enlist the wrapper, then start.
                var inner = await mariaDb.OpenBranchAsync(IsolationLevel.ReadCommitted, cancellationToken);
                var slow = new HeldBackBranch(inner, phase, HoldBack);
                await inner.StartAsync(transaction.Enlist(slow), cancellationToken);
                return slow;
            }

            case NpgsqlTransactionResource:
                return await transaction.EnlistNpgsqlAsync(resource.Name, cancellationToken);
            case MySqlTransactionResource:
                return await transaction.EnlistMySqlAsync(resource.Name, cancellationToken);
            default:
                throw new ArgumentException($"'{resource.Name}' is neither PostgreSQL nor MariaDB.");
        }
    }

    private static async Task ExecuteAsync(IDbTransactionBranch branch, string sql, string? id)
    {
        await using var command = branch.Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = branch.Transaction;
        if (id is not null)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@id";
            parameter.Value = id;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Where the host waits to be killed, and which resource, if any, is held back so the other goes first.</summary>
internal sealed record CrossEnginePause(string Step, string? First)
{
    public static CrossEnginePause Parse(string text)
    {
        var parts = text.Split(':', 2);
        return new CrossEnginePause(parts[0], parts.Length == 2 ? parts[1] : null);
    }

    /// <summary>The phase in which <paramref name="resource"/> is slowed down, when another resource must go first.</summary>
    public HeldBackPhase? HeldBack(string resource) => First is null || First == resource
        ? null
        : Step switch
        {
            "FirstPrepared" => HeldBackPhase.Prepare,
            "FirstCommitted" => HeldBackPhase.Commit,
            _ => null,
        };
}

/// <summary>Which call of a held-back branch waits.</summary>
internal enum HeldBackPhase
{
    Prepare,
    Commit,
}

/// <summary>A branch whose prepare (or commit) starts only after a delay: the process is killed long before.</summary>
internal sealed class HeldBackBranch(IDbTransactionBranch inner, HeldBackPhase phase, TimeSpan delay) : IDbTransactionBranch, IAsyncDisposable
{
    public string ResourceName => inner.ResourceName;

    public DbConnection Connection => inner.Connection;

    public DbTransaction? Transaction => inner.Transaction;

    public async ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken)
    {
        if (phase == HeldBackPhase.Prepare)
        {
            await Task.Delay(delay, CancellationToken.None);
        }

        return await inner.PrepareAsync(globalId, cancellationToken);
    }

    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(cancellationToken);

    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        if (phase == HeldBackPhase.Commit)
        {
            await Task.Delay(delay, CancellationToken.None);
        }

        return await inner.CommitPreparedAsync(globalId, cancellationToken);
    }

    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken) => inner.RollbackAsync(globalId, cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
