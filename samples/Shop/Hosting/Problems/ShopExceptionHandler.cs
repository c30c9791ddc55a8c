using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace DataPatterns.Samples.Shop.Hosting.Problems;

/// <summary>
/// Turns any exception a request ends in into a Problem Details answer (RFC 9457) chosen by <see cref="ProblemMapping"/>,
/// and logs it with the trace id the body carries, so the client can quote what the operators can find.
/// </summary>
internal sealed partial class ShopExceptionHandler(ProblemWriter writer, ILogger<ShopExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = ProblemMapping.Map(exception, httpContext.RequestAborted.IsCancellationRequested);
        if (httpContext.Items.TryGetValue(ShopEndpoints.OrderIdItem, out var orderId) && problem.Status >= StatusCodes.Status500InternalServerError)
        {
            problem = problem with { Extensions = new Dictionary<string, object?> { ["orderId"] = orderId } };
        }

        var traceId = TraceIdOf(httpContext);
        var request = $"{httpContext.Request.Method} {httpContext.Request.Path}";
        switch (problem.Severity)
        {
            case ProblemSeverity.ServerFault:
                ServerFault(logger, request, problem.Status, problem.Code, traceId, exception);
                break;
            case ProblemSeverity.Transient:
                Transient(logger, request, problem.Status, problem.Code, traceId, exception);
                break;
            default:
                ClientError(logger, request, problem.Status, problem.Code, traceId);
                break;
        }

        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            httpContext.Response.StatusCode = problem.Status;
            return true;   // nobody is listening for the body
        }

        return await writer.WriteAsync(httpContext, problem);
    }

    /// <summary>The id a client quotes and the logs carry: the W3C trace id when tracing is on, the request id otherwise.</summary>
    public static string TraceIdOf(HttpContext context) => Activity.Current?.Id ?? context.TraceIdentifier;

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "{Request} failed with {Status} ({Code}); traceId {TraceId}.")]
    private static partial void ServerFault(ILogger logger, string request, int status, string code, string traceId, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "{Request} answered {Status} ({Code}), a transient failure; traceId {TraceId}.")]
    private static partial void Transient(ILogger logger, string request, int status, string code, string traceId, Exception exception);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Debug, Message = "{Request} answered {Status} ({Code}), a client error; traceId {TraceId}.")]
    private static partial void ClientError(ILogger logger, string request, int status, string code, string traceId);
}
