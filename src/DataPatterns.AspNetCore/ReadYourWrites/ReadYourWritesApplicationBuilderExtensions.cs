using DataPatterns.AspNetCore.ReadYourWrites;
using DataPatterns.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the read-your-writes middleware to the pipeline.</summary>
public static class ReadYourWritesApplicationBuilderExtensions
{
    /// <summary>
    /// Carries the request's <see cref="RoutingSession"/> token in a cookie or header from a user's write to their next
    /// request, so that request's replica reads see the write. Place it before the endpoints that use the session (or
    /// contexts configured with <c>UseReadWriteSplitting(serviceProvider)</c>).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="InvalidOperationException"><c>AddReadYourWrites</c> or <c>AddReadWriteSplitting</c> was not called.</exception>
    public static IApplicationBuilder UseReadYourWrites(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<ReadYourWritesMarker>() is null)
        {
            throw new InvalidOperationException("UseReadYourWrites() needs services.AddReadYourWrites() (and services.AddReadWriteSplitting(...) for the session) at start-up.");
        }

        using (var scope = app.ApplicationServices.CreateScope())
        {
            _ = scope.ServiceProvider.GetService<RoutingSession>()
                ?? throw new InvalidOperationException("UseReadYourWrites() found no RoutingSession: register the router with services.AddReadWriteSplitting(options => ...).");
        }

        return app.UseMiddleware<ReadYourWritesMiddleware>();
    }
}
