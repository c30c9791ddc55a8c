namespace DataPatterns.EntityFrameworkCore;

/// <summary>How a <c>DbContext</c> configured with <c>UseReadWriteSplitting</c> routes its connection.</summary>
public sealed class ReadWriteSplittingOptions
{
    /// <summary>
    /// True for a read-only context: its queries go to a replica (with read-your-writes when the router has it), while
    /// <c>SaveChanges</c>, <c>ExecuteUpdate</c>/<c>ExecuteDelete</c>, raw non-queries and anything inside a
    /// <c>TransactionScope</c> still go to the primary. It cannot begin an explicit transaction (use a read-write context
    /// for that). Default false: every operation goes to the primary, and single queries can opt into a replica with
    /// <c>ReadFromReplica()</c>. Pair a read-only context with <c>QueryTrackingBehavior.NoTracking</c>.
    /// </summary>
    public bool ReadOnly { get; set; }
}
