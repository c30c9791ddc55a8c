using System.Data.Common;
using System.Transactions;
using DataPatterns.Routing;
using Microsoft.EntityFrameworkCore.Storage;

namespace DataPatterns.EntityFrameworkCore.ReadWriteSplitting;

/// <summary>
/// What the interceptor knows about one DbContext instance: its session, the connection it may replace, and which
/// operation is running. A context is not thread-safe, so neither is this.
/// </summary>
internal sealed class ContextRoutingState(RoutingSession session, IRelationalConnection connection)
{
    private Transaction? _watchedAmbient;
    private TransactionCompletedEventHandler? _onAmbientCompleted;

    public RoutingSession Session { get; } = session;

    public IRelationalConnection Connection { get; } = connection;

    /// <summary>The DbConnection this context got from its provider or from us: only that one is routed (never a user's own).</summary>
    public DbConnection? Owned { get; set; }

    /// <summary>True while the context's connection is a replica connection.</summary>
    public bool OnReplica { get; set; }

    /// <summary>Nesting depth of SaveChanges (SavingChanges to SavedChanges/Failed/Canceled).</summary>
    public int SavingChanges { get; set; }

    /// <summary>A non-query command was created and is about to open the connection (EF creates it before opening).</summary>
    public bool NonQueryPending { get; set; }

    /// <summary>The command EF created before opening the connection (non-query, scalar), to point at the swapped-in connection.</summary>
    public DbCommand? CreatedBeforeOpen { get; set; }

    /// <summary>A write happened inside the current explicit transaction: its commit marks the session.</summary>
    public bool WroteInTransaction { get; set; }

    /// <summary>The command sent to a replica by <c>ReadFromReplica()</c>, and the connection it borrowed.</summary>
    public DbCommand? RetargetedCommand { get; set; }

    public DbConnection? RetargetedConnection { get; set; }

    /// <summary>
    /// Records a write. Inside a transaction the position asked for now would precede the commit, so the session is
    /// marked again once the transaction commits (explicit: by the interceptor; ambient: by its completion event).
    /// </summary>
    public void Wrote(bool inExplicitTransaction)
    {
        Session.MarkWritten();
        if (inExplicitTransaction)
        {
            WroteInTransaction = true;
        }

        if (Transaction.Current is { } ambient && !ReferenceEquals(ambient, _watchedAmbient))
        {
            _watchedAmbient = ambient;
            _onAmbientCompleted ??= OnAmbientCompleted;
            ambient.TransactionCompleted += _onAmbientCompleted;
        }
    }

    public void ReleaseRetargeted()
    {
        var borrowed = RetargetedConnection;
        RetargetedCommand = null;
        RetargetedConnection = null;
        borrowed?.Dispose();
    }

    private void OnAmbientCompleted(object? sender, TransactionEventArgs e)
    {
        if (e.Transaction?.TransactionInformation.Status == TransactionStatus.Committed)
        {
            Session.MarkWritten();
        }
    }
}
