using DataPatterns.Cqrs;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore;

/// <summary>
/// A projection whose read model is written through an EF Core context: each batch gets a <typeparamref name="TDbContext"/>
/// on the read-model store's connection and transaction, so the changes it saves and the store's checkpoint commit
/// together, and a batch takes effect exactly once however often it is retried or replayed. Run it with a store whose
/// batch context is an <see cref="IDbProjectionContext"/> (for PostgreSQL, <c>AddCqrs().UseNpgsql(...)</c>).
/// </summary>
/// <remarks>
/// The model must name no schema: every batch runs with unqualified names resolving to the generation being written
/// (<see cref="IDbProjectionContext.Schema"/>), which is how a rebuild fills a fresh generation while readers keep reading
/// the live one through the views in the schema named after the projection.
/// </remarks>
/// <typeparam name="TDbContext">The read model's context.</typeparam>
/// <param name="contexts">Creates the contexts (register one with <c>AddDbContextFactory</c>); their own connection settings are not used.</param>
public abstract class DbContextProjection<TDbContext>(IDbContextFactory<TDbContext> contexts) : IProjection<IDbProjectionContext>
    where TDbContext : DbContext
{
    private readonly IDbContextFactory<TDbContext> _contexts = contexts ?? throw new ArgumentNullException(nameof(contexts));

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract IReadOnlyCollection<string> EventTypes { get; }

    /// <inheritdoc />
    async ValueTask IProjection<IDbProjectionContext>.InitializeAsync(IDbProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = await context.UseGenerationSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using (scope.ConfigureAwait(false))
        {
            var readModel = await OpenAsync(context, cancellationToken).ConfigureAwait(false);
            await using (readModel.ConfigureAwait(false))
            {
                await InitializeAsync(readModel, context, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    async ValueTask IProjection<IDbProjectionContext>.ApplyAsync(IReadOnlyList<EventEnvelope> events, IDbProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(context);
        var scope = await context.UseGenerationSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using (scope.ConfigureAwait(false))
        {
            var readModel = await OpenAsync(context, cancellationToken).ConfigureAwait(false);
            await using (readModel.ConfigureAwait(false))
            {
                await ApplyAsync(events, readModel, cancellationToken).ConfigureAwait(false);
                await readModel.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Applies a batch of events, in order, to the read model through <paramref name="readModel"/>. The base class saves
    /// the changes afterwards, in the transaction that moves the checkpoint; throwing rolls back both.
    /// </summary>
    /// <param name="events">The events, all of types in <see cref="EventTypes"/>, in order.</param>
    /// <param name="readModel">A fresh context on the batch's connection and transaction.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>A task that completes when the changes are made (the base class saves them).</returns>
    protected abstract ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, TDbContext readModel, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the read model's tables in a new, empty generation. By default runs the model's create script
    /// (<c>GenerateCreateScript</c>); override to add what the model does not describe.
    /// </summary>
    /// <param name="readModel">A context on the generation's connection and transaction.</param>
    /// <param name="context">The store's context, for SQL of your own.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    /// <returns>A task that completes when the tables exist.</returns>
    protected virtual async ValueTask InitializeAsync(TDbContext readModel, IDbProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readModel);
        ArgumentNullException.ThrowIfNull(context);
        await using var command = context.Connection.CreateCommand();
        command.Transaction = context.Transaction;
        command.CommandText = readModel.Database.GenerateCreateScript();
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<TDbContext> OpenAsync(IDbProjectionContext context, CancellationToken cancellationToken)
    {
        var readModel = await _contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RequireNoSchema(readModel);
            readModel.Database.SetDbConnection(context.Connection, contextOwnsConnection: false);
            await readModel.Database.UseTransactionAsync(context.Transaction, cancellationToken).ConfigureAwait(false);
            return readModel;
        }
        catch
        {
            await readModel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private void RequireNoSchema(TDbContext readModel)
    {
        foreach (var entityType in readModel.Model.GetEntityTypes())
        {
            if (entityType.GetSchema() is { } schema)
            {
                throw new ProjectionConfigurationException($"Projection '{Name}': {typeof(TDbContext).Name} maps {entityType.DisplayName()} to schema '{schema}'. A projection's read model names no schema (remove HasDefaultSchema and the schema in ToTable): each generation is written in a schema of its own, and readers see the live one through the views in schema '{Name}'.");
            }
        }
    }
}
