using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Cqrs;

/// <summary>Resolves the closed generic handler interface directly: one dictionary look-up in the container, no reflection.</summary>
internal sealed class Dispatcher : IDispatcher
{
    private readonly IServiceProvider _services;

    public Dispatcher(IServiceProvider services, ProjectionRunnerStartWatch? startWatch = null)
    {
        _services = services;
        startWatch?.Used(); // a dispatch with projections and no running host is worth a warning
    }

    public ValueTask<TResult> SendAsync<TCommand, TResult>(TCommand command, CancellationToken cancellationToken = default)
    {
        var handler = _services.GetService<ICommandHandler<TCommand, TResult>>()
            ?? throw new HandlerNotRegisteredException(typeof(TCommand), typeof(TResult), isQuery: false);
        return handler.HandleAsync(command, cancellationToken);
    }

    public ValueTask<TResult> QueryAsync<TQuery, TResult>(TQuery query, CancellationToken cancellationToken = default)
    {
        var handler = _services.GetService<IQueryHandler<TQuery, TResult>>()
            ?? throw new HandlerNotRegisteredException(typeof(TQuery), typeof(TResult), isQuery: true);
        return handler.HandleAsync(query, cancellationToken);
    }
}
