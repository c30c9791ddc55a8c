namespace DataPatterns.Cqrs;

/// <summary>A command or query was dispatched but no handler for it is registered.</summary>
public sealed class HandlerNotRegisteredException : InvalidOperationException
{
    /// <summary>Creates the exception for a message type and result type.</summary>
    /// <param name="messageType">The command or query type.</param>
    /// <param name="resultType">The result type asked for.</param>
    /// <param name="isQuery">True for a query, false for a command.</param>
    public HandlerNotRegisteredException(Type messageType, Type resultType, bool isQuery)
        : base(isQuery
            ? $"No IQueryHandler<{messageType?.Name}, {resultType?.Name}> is registered. Register one with AddCqrs(cqrs => cqrs.AddQueryHandler<{messageType?.Name}, {resultType?.Name}, YourHandler>()), and check the result type matches."
            : $"No ICommandHandler<{messageType?.Name}, {resultType?.Name}> is registered. Register one with AddCqrs(cqrs => cqrs.AddCommandHandler<{messageType?.Name}, {resultType?.Name}, YourHandler>()), and check the result type matches.")
    {
        MessageType = messageType!;
        ResultType = resultType!;
    }

    /// <summary>The command or query type.</summary>
    public Type MessageType { get; }

    /// <summary>The result type asked for.</summary>
    public Type ResultType { get; }
}
