using DataPatterns.EntityFrameworkCore;
using DataPatterns.EntityFrameworkCore.ReadWriteSplitting;
using DataPatterns.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore;

/// <summary>
/// Read/write splitting for a DbContext: after the provider (<c>UseNpgsql()</c> with no connection string), the router
/// chooses the node for each database operation. SaveChanges, ExecuteUpdate/ExecuteDelete, raw non-queries and anything
/// in a transaction go to the primary; queries of a read-only context, and queries marked <c>ReadFromReplica()</c>, go to
/// a replica that has this session's writes (read-your-writes), or to the primary.
/// </summary>
public static class ReadWriteSplittingDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Routes the context through <paramref name="session"/>: every context given the same session (one per request, as
    /// <c>AddReadWriteSplitting</c> registers it) reads its own writes, and the ASP.NET Core middleware carries them on.
    /// </summary>
    /// <param name="optionsBuilder">The context's options, with the provider already chosen.</param>
    /// <param name="session">The unit of work whose writes later reads must see.</param>
    /// <param name="configure">Sets <see cref="ReadWriteSplittingOptions.ReadOnly"/>.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseReadWriteSplitting(
        this DbContextOptionsBuilder optionsBuilder, RoutingSession session, Action<ReadWriteSplittingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(session);
        return Add(optionsBuilder, session, session.Router, configure);
    }

    /// <summary>
    /// Routes the context through the scoped <see cref="RoutingSession"/> of <paramref name="services"/>: call it in
    /// <c>AddDbContext&lt;T&gt;((sp, o) =&gt; o.UseNpgsql().UseReadWriteSplitting(sp))</c> so that every context of a request shares
    /// the request's session. Not for context pooling, whose options are built once (use the router overload there).
    /// </summary>
    /// <param name="optionsBuilder">The context's options, with the provider already chosen.</param>
    /// <param name="services">The scope's service provider (the one <c>AddDbContext</c> passes to its options action).</param>
    /// <param name="configure">Sets <see cref="ReadWriteSplittingOptions.ReadOnly"/>.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="RoutingSession"/> is registered.</exception>
    public static DbContextOptionsBuilder UseReadWriteSplitting(
        this DbContextOptionsBuilder optionsBuilder, IServiceProvider services, Action<ReadWriteSplittingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(services);
        var session = services.GetService<RoutingSession>()
            ?? throw new InvalidOperationException(
                "UseReadWriteSplitting(serviceProvider) found no RoutingSession: register the router with " +
                "services.AddReadWriteSplitting(options => ...) before AddDbContext, or pass a RoutingSession or ReadWriteRouter.");
        return Add(optionsBuilder, session, session.Router, configure);
    }

    /// <summary>
    /// Routes the context through <paramref name="router"/> with a session per context instance (read-your-writes holds
    /// within the context). Works with DbContext pooling; a pooled context keeps its session across leases.
    /// </summary>
    /// <param name="optionsBuilder">The context's options, with the provider already chosen.</param>
    /// <param name="router">The router of this database.</param>
    /// <param name="configure">Sets <see cref="ReadWriteSplittingOptions.ReadOnly"/>.</param>
    /// <returns>The options builder.</returns>
    public static DbContextOptionsBuilder UseReadWriteSplitting(
        this DbContextOptionsBuilder optionsBuilder, ReadWriteRouter router, Action<ReadWriteSplittingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(router);
        return Add(optionsBuilder, null, router, configure);
    }

    /// <inheritdoc cref="UseReadWriteSplitting(DbContextOptionsBuilder, RoutingSession, Action{ReadWriteSplittingOptions}?)"/>
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseReadWriteSplitting<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder, RoutingSession session, Action<ReadWriteSplittingOptions>? configure = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseReadWriteSplitting((DbContextOptionsBuilder)optionsBuilder, session, configure);

    /// <inheritdoc cref="UseReadWriteSplitting(DbContextOptionsBuilder, IServiceProvider, Action{ReadWriteSplittingOptions}?)"/>
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseReadWriteSplitting<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder, IServiceProvider services, Action<ReadWriteSplittingOptions>? configure = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseReadWriteSplitting((DbContextOptionsBuilder)optionsBuilder, services, configure);

    /// <inheritdoc cref="UseReadWriteSplitting(DbContextOptionsBuilder, ReadWriteRouter, Action{ReadWriteSplittingOptions}?)"/>
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseReadWriteSplitting<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder, ReadWriteRouter router, Action<ReadWriteSplittingOptions>? configure = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseReadWriteSplitting((DbContextOptionsBuilder)optionsBuilder, router, configure);

    private static DbContextOptionsBuilder Add(
        DbContextOptionsBuilder optionsBuilder, RoutingSession? session, ReadWriteRouter router, Action<ReadWriteSplittingOptions>? configure)
    {
        var options = new ReadWriteSplittingOptions();
        configure?.Invoke(options);
        return optionsBuilder.AddInterceptors(new ReadWriteSplittingInterceptor(session, router, options.ReadOnly));
    }
}
