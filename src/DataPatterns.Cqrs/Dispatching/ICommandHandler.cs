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
