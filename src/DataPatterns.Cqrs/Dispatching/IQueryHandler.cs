namespace DataPatterns.Cqrs;

/// <summary>Handles one query type: reads a read model and returns the answer; never changes state.</summary>
/// <typeparam name="TQuery">The query.</typeparam>
/// <typeparam name="TResult">The answer.</typeparam>
public interface IQueryHandler<in TQuery, TResult>
{
    /// <summary>Answers <paramref name="query"/>.</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The answer.</returns>
    ValueTask<TResult> HandleAsync(TQuery query, CancellationToken cancellationToken);
}
