using System.Transactions;
using DataPatterns.Routing;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.ReadWriteSplitting;

/// <summary>
/// Random sequences of EF Core operations on one routing session: no query inside a transaction (explicit or
/// TransactionScope) ever reaches the replica, and every committed write is seen by the next read of another context of
/// the session, a read-only one that reads from the replica when it has the write.
/// </summary>
public sealed class ReadWriteSplittingProperties(SplitDatabase database) : IClassFixture<SplitDatabase>, IAsyncLifetime
{
    private static long _nextId = 1_000_000;
    private ReadWriteRouter _router = null!;

    public async Task InitializeAsync()
    {
        _router = database.NewRouter();
        await _router.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _router.DisposeAsync();

    /// <summary>Each byte is an operation: query, marked query, SaveChanges, begin, commit, rollback, ExecuteUpdate, TransactionScope.</summary>
    [Property(MaxTest = 15, EndSize = 25)]
    public async Task No_query_in_a_transaction_reaches_a_replica_and_every_commit_is_read_back(byte[] operations)
    {
        var session = _router.CreateSession();
        var violations = new List<string>();
        var pending = new List<(long Id, string Text)>();
        long lastCommitted = 0;
        await using var context = SplitDatabase.Context(session);
        Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? transaction = null;
        foreach (var operation in operations)
        {
            var inTransaction = transaction is not null;
            switch (operation % 8)
            {
                case 0 when inTransaction:
                    Check(!await SplitDatabase.InRecoveryAsync(context), "a query in an explicit transaction ran on the replica");
                    break;
                case 0:
                    await using (var reader = SplitDatabase.Context(session, readOnly: true))
                    {
                        _ = await SplitDatabase.InRecoveryAsync(reader);
                    }

                    break;
                case 1:
                    var onReplica = await SplitDatabase.InRecoveryAsync(context, marked: true);
                    Check(!(inTransaction && onReplica), "a ReadFromReplica query in an explicit transaction ran on the replica");
                    break;
                case 2:
                    var id = Interlocked.Increment(ref _nextId);
                    context.Notes.Add(new Note { Id = id, Text = "saved" });
                    await context.SaveChangesAsync();
                    pending.Add((id, "saved"));
                    break;
                case 3 when !inTransaction:
                    transaction = await context.Database.BeginTransactionAsync();
                    break;
                case 4 or 5 when inTransaction:
                    transaction = await EndAsync(transaction!, commit: operation % 8 == 4, context, pending);
                    break;
                case 6 when lastCommitted != 0:
                    var text = $"updated {operation}";
                    await context.Notes.Where(n => n.Id == lastCommitted).ExecuteUpdateAsync(s => s.SetProperty(n => n.Text, text));
                    pending.Add((lastCommitted, text));
                    break;
                case 7 when !inTransaction:
                    await InScopeAsync(session, pending, Check);
                    break;
            }

            if (transaction is null && pending.Count > 0)
            {
                await ReadBackAsync(session, pending, Check);
                lastCommitted = pending[^1].Id;
                pending.Clear();
            }
        }

        if (transaction is not null)
        {
            await transaction.DisposeAsync();
        }

        Assert.Empty(violations);
        return;

        void Check(bool holds, string what)
        {
            if (!holds)
            {
                violations.Add(what);
            }
        }
    }

    private static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction?> EndAsync(
        Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, bool commit, NotesContext context, List<(long Id, string Text)> pending)
    {
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
            context.ChangeTracker.Clear();
            pending.Clear();
        }

        await transaction.DisposeAsync();
        return null;
    }

    private static async Task InScopeAsync(RoutingSession session, List<(long Id, string Text)> pending, Action<bool, string> check)
    {
        var id = Interlocked.Increment(ref _nextId);
        using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
        await using (var reader = SplitDatabase.Context(session, readOnly: true))
        {
            check(!await SplitDatabase.InRecoveryAsync(reader), "a read-only context's query in a TransactionScope ran on the replica");
            reader.Notes.Add(new Note { Id = id, Text = "scope" });
            await reader.SaveChangesAsync();
        }

        await using (var writer = SplitDatabase.Context(session))
        {
            check(!await SplitDatabase.InRecoveryAsync(writer, marked: true), "a ReadFromReplica query in a TransactionScope ran on the replica");
        }

        scope.Complete();
        pending.Add((id, "scope"));
    }

    private static async Task ReadBackAsync(RoutingSession session, List<(long Id, string Text)> committed, Action<bool, string> check)
    {
        await using var reader = SplitDatabase.Context(session, readOnly: true);
        foreach (var (id, text) in committed.GroupBy(c => c.Id).Select(g => g.Last()))
        {
            var found = await reader.Notes.AsNoTracking().Where(n => n.Id == id).Select(n => n.Text).SingleOrDefaultAsync();
            check(found == text, $"note {id}: read '{found}' after the commit of '{text}'");
        }
    }
}
