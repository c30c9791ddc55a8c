using DataPatterns.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace DataPatterns.AspNetCore.ReadYourWrites;

/// <summary>
/// Carries the request's <see cref="RoutingSession"/> token across requests: observes the incoming one, and when the
/// request wrote, sends the new one back just before the response starts. The position is asked of the primary only then
/// (one round trip per writing request, none for reads).
/// </summary>
internal sealed class ReadYourWritesMiddleware(RequestDelegate next, IOptions<ReadYourWritesOptions> options, ILogger<ReadYourWritesMiddleware> logger)
{
    private readonly ReadYourWritesOptions _options = options.Value;
    private readonly Func<object, Task> _onStarting = OnStartingAsync;

    public Task InvokeAsync(HttpContext context, RoutingSession session)
    {
        var incoming = Observe(context.Request, session);
        context.Response.OnStarting(_onStarting, new Outgoing(this, context, session, incoming));
        return next(context);
    }

    private ConsistencyToken Observe(HttpRequest request, RoutingSession session)
    {
        if (_options.Carrier.HasFlag(ReadYourWritesCarrier.Cookie) && request.Cookies.TryGetValue(_options.CookieName, out var cookie))
        {
            TryObserve(session, cookie);
        }

        if (_options.Carrier.HasFlag(ReadYourWritesCarrier.Header) && request.Headers.TryGetValue(_options.HeaderName, out StringValues header))
        {
            TryObserve(session, header.Count == 1 ? header[0] : null);
        }

        return session.Token;
    }

    // A tampered or garbage value only costs this request its consistency; it is never an error.
    private void TryObserve(RoutingSession session, string? value)
    {
        if (value is not null && value.Length <= _options.MaxTokenLength)
        {
            session.TryObserve(value);
        }
    }

    private static async Task OnStartingAsync(object state)
    {
        var (middleware, context, session, incoming) = (Outgoing)state;
        if (!session.HasUnresolvedWrite && session.Token.Position <= incoming.Position)
        {
            return;
        }

        ConsistencyToken token;
        try
        {
            token = await session.GetTokenAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // The response is already decided; failing it now would turn a successful write into an error page.
            ReadYourWritesLog.TokenUnavailable(middleware.Logger, e.Message, e);
            return;
        }

        middleware.Write(context, token);
    }

    private ILogger Logger => logger;

    private void Write(HttpContext context, ConsistencyToken token)
    {
        if (token.IsNone)
        {
            return;
        }

        var value = token.ToString();
        if (_options.Carrier.HasFlag(ReadYourWritesCarrier.Cookie))
        {
            context.Response.Cookies.Append(_options.CookieName, value, new CookieOptions
            {
                HttpOnly = _options.HttpOnly,
                SameSite = _options.SameSite,
                Secure = context.Request.IsHttps,
                MaxAge = _options.MaxAge,
                Path = _options.CookiePath,
                IsEssential = true,
            });
        }

        if (_options.Carrier.HasFlag(ReadYourWritesCarrier.Header))
        {
            context.Response.Headers[_options.HeaderName] = value;
        }
    }

    private sealed record Outgoing(ReadYourWritesMiddleware Middleware, HttpContext Context, RoutingSession Session, ConsistencyToken Incoming);
}
