namespace DataPatterns.Cqrs;

/// <summary>Handles one command type: changes the write model and returns a result.</summary>
/// <typeparam name="TCommand">The command.</typeparam>
/// <typeparam name="TResult">What the caller gets back (use <see cref="Unit"/> for nothing).</typeparam>
public interface ICommandHandler<in TCommand, TResult>
{
    /// <summary>Handles <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>The result of the command.</returns>
    ValueTask<TResult> HandleAsync(TCommand command, CancellationToken cancellationToken);
}

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

/// <summary>The result of a command that returns nothing.</summary>
public readonly record struct Unit
{
    /// <summary>The only value.</summary>
    public static Unit Value => default;
}
