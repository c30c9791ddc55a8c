using DataPatterns.EntityFrameworkCore.ReadWriteSplitting;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Marks a single query of a read-write context as safe to answer from a replica.</summary>
public static class ReadFromReplicaQueryableExtensions
{
    /// <summary>
    /// Sends this query to a replica (read-your-writes for the context's routing session still holds: after a write it
    /// waits for a replica that has it, or reads the primary). Inside a transaction, explicit or ambient, the query stays on
    /// the primary. The mark is an EF Core query tag, so it appears as a comment in the SQL and in logs.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">A query of a context configured with <c>UseReadWriteSplitting</c>.</param>
    /// <returns>The same query, marked.</returns>
    public static IQueryable<T> ReadFromReplica<T>(this IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.TagWith(ReplicaTag.Text);
    }
}
