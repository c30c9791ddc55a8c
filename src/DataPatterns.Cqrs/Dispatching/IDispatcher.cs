namespace DataPatterns.Cqrs;

/// <summary>
/// Sends commands and queries to their handlers, resolved from dependency injection by their generic type
/// (no reflection, no handler scanning). Registered as a scoped service, so handlers share the caller's scope.
/// </summary>
public interface IDispatcher
{
    /// <summary>Sends <paramref name="command"/> to its <see cref="ICommandHandler{TCommand, TResult}"/>.</summary>
    /// <typeparam name="TCommand">The command type.</typeparam>
    /// <typeparam name="TResult">The result type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">Cancels the handling.</param>
    /// <returns>The handler's result.</returns>
    /// <exception cref="HandlerNotRegisteredException">No handler is registered for the command.</exception>
    ValueTask<TResult> SendAsync<TCommand, TResult>(TCommand command, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="query"/> to its <see cref="IQueryHandler{TQuery, TResult}"/>.</summary>
    /// <typeparam name="TQuery">The query type.</typeparam>
    /// <typeparam name="TResult">The answer type.</typeparam>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The handler's answer.</returns>
    /// <exception cref="HandlerNotRegisteredException">No handler is registered for the query.</exception>
    ValueTask<TResult> QueryAsync<TQuery, TResult>(TQuery query, CancellationToken cancellationToken = default);
}
