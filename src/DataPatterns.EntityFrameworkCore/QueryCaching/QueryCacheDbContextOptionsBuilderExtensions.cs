using DataPatterns.EntityFrameworkCore.QueryCaching;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Turns the second-level query cache on for a context.</summary>
public static class QueryCacheDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Lets the context's queries use <c>ToCachedListAsync</c>, and invalidates the tables each committed
    /// <c>SaveChanges</c> wrote, on every instance.
    /// </summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="serviceProvider">The application's services, after <c>AddEntityFrameworkQueryCache()</c>.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddEntityFrameworkQueryCache()</c> was not called.</exception>
    public static DbContextOptionsBuilder UseQueryCache(this DbContextOptionsBuilder optionsBuilder, IServiceProvider serviceProvider)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(serviceProvider);
        var interceptor = serviceProvider.GetService<QueryCacheInvalidationInterceptor>()
            ?? throw new InvalidOperationException("UseQueryCache needs the query cache's services: call services.AddEntityFrameworkQueryCache() (and services.AddCaching().AddHybridCache()) at start-up.");
        return optionsBuilder.AddInterceptors(interceptor);
    }
}
