using DataPatterns.Cqrs;
using DataPatterns.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds the transactional outbox to a DbContext's options.</summary>
public static class OutboxDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Writes the events of every tracked <see cref="IHasOutboxEvents"/> entity into <paramref name="outbox"/> on
    /// <c>SaveChanges</c>, in the same transaction as the entity changes: without a transaction of the application's, the
    /// save runs in one the outbox asks EF to begin; inside one begun with <c>Database.BeginTransaction</c> or a distributed
    /// transaction (<c>EnlistDbContextAsync</c>), the rows join it. A failed save, or a failed outbox write, leaves the
    /// events on the entities for the retry.
    /// </summary>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="outbox">The outbox (for PostgreSQL, the <c>NpgsqlOutbox</c> that <c>AddCqrs().UseNpgsql(...)</c> registers).</param>
    /// <param name="loggerFactory">Where the interceptor logs (a failed after-commit notification); none when null.</param>
    /// <returns>The same builder.</returns>
    public static DbContextOptionsBuilder UseTransactionalOutbox(this DbContextOptionsBuilder optionsBuilder, ITransactionalOutbox outbox, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(outbox);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(OutboxInterceptor).FullName!);
        return optionsBuilder.AddInterceptors(new OutboxInterceptor(outbox, logger));
    }

    /// <summary>As <see cref="UseTransactionalOutbox(DbContextOptionsBuilder, ITransactionalOutbox, ILoggerFactory?)"/>, keeping the builder's context type.</summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <param name="optionsBuilder">The context's options.</param>
    /// <param name="outbox">The outbox.</param>
    /// <param name="loggerFactory">Where the interceptor logs; none when null.</param>
    /// <returns>The same builder.</returns>
    public static DbContextOptionsBuilder<TContext> UseTransactionalOutbox<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, ITransactionalOutbox outbox, ILoggerFactory? loggerFactory = null)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseTransactionalOutbox((DbContextOptionsBuilder)optionsBuilder, outbox, loggerFactory);
}
