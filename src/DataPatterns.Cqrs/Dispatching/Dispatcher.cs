using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Cqrs;

/// <summary>Resolves the closed generic handler interface directly: one dictionary look-up in the container, no reflection.</summary>
internal sealed class Dispatcher(IServiceProvider services) : IDispatcher
{
    public ValueTask<TResult> SendAsync<TCommand, TResult>(TCommand command, CancellationToken cancellationToken = default)
    {
        var handler = services.GetService<ICommandHandler<TCommand, TResult>>()
            ?? throw new HandlerNotRegisteredException(typeof(TCommand), typeof(TResult), isQuery: false);
        return handler.HandleAsync(command, cancellationToken);
    }

    public ValueTask<TResult> QueryAsync<TQuery, TResult>(TQuery query, CancellationToken cancellationToken = default)
    {
        var handler = services.GetService<IQueryHandler<TQuery, TResult>>()
            ?? throw new HandlerNotRegisteredException(typeof(TQuery), typeof(TResult), isQuery: true);
        return handler.HandleAsync(query, cancellationToken);
    }
}
