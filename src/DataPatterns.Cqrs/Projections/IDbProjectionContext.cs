using System.Data.Common;

namespace DataPatterns.Cqrs;

/// <summary>
/// The part of a read-model store's batch context that ADO.NET code can use: the connection and transaction that also
/// move the checkpoint, and the schema of the generation being written. A provider-neutral projection (one written
/// through an EF Core DbContext) implements <see cref="IProjection{TContext}"/> of this interface; a store whose context
/// implements it runs such a projection.
/// </summary>
public interface IDbProjectionContext
{
    /// <summary>The read-model database connection, inside <see cref="Transaction"/>.</summary>
    DbConnection Connection { get; }

    /// <summary>The transaction that also writes the checkpoint; do not commit or roll it back.</summary>
    DbTransaction Transaction { get; }

    /// <summary>The projection's name.</summary>
    string ProjectionName { get; }

    /// <summary>The generation being written.</summary>
    int Generation { get; }

    /// <summary>The schema of the generation being written: read-model tables live here only.</summary>
    string Schema { get; }

    /// <summary>
    /// Until the returned handle is disposed, unqualified table names in <see cref="Transaction"/> resolve to
    /// <see cref="Schema"/> (and tables created without a schema land there), so a model that names no schema writes the
    /// generation being built.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A handle whose disposal restores the previous name resolution.</returns>
    ValueTask<IAsyncDisposable> UseGenerationSchemaAsync(CancellationToken cancellationToken);
}
