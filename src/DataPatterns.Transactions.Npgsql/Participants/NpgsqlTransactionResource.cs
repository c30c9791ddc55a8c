using System.Data;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>
/// A PostgreSQL database taking part in two-phase commit: begins branches (<see cref="BeginBranchAsync"/>), completes
/// prepared transactions by global id on connections of its own, and lists this node's prepared transactions from
/// <c>pg_prepared_xacts</c> for recovery. Its connections must not auto-enlist in System.Transactions (<c>Enlist=false</c>).
/// </summary>
public sealed partial class NpgsqlTransactionResource : IDbTransactionResource, ICoordinatorNodeClaim, IAsyncDisposable
{
    private readonly bool _ownsDataSource;

    /// <summary>Uses <paramref name="dataSource"/>, whose connection string must say <c>Enlist=false</c>.</summary>
    /// <exception cref="ArgumentException">The data source's connections would auto-enlist in System.Transactions.</exception>
    public NpgsqlTransactionResource(string name, NpgsqlDataSource dataSource)
        : this(name, dataSource, ownsDataSource: false)
    {
    }

    private NpgsqlTransactionResource(string name, NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(dataSource);
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        if (settings.Enlist)
        {
            throw new ArgumentException($"Resource '{name}': the data source's connections auto-enlist in System.Transactions (Enlist=true, Npgsql's default), which would run Npgsql's own unrecoverable 2PC beside the coordinator. Add 'Enlist=false' to its connection string, or use NpgsqlTransactionResource.Create(name, connectionString).", nameof(dataSource));
        }

        Name = name;
        DataSource = dataSource;
        MaxPoolSize = settings.MaxPoolSize;
        Location = DatabaseLocation.Of(settings);
        _ownsDataSource = ownsDataSource;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Where the branches' connections come from.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// Checks at prepare whether the branch wrote anything (<c>pg_current_xact_id_if_assigned()</c>); a branch that did not
    /// votes read-only and skips phase 2. Default true.
    /// </summary>
    public bool DetectReadOnly { get; init; } = true;

    /// <summary>The server and database, to find out whether a decision log shares it (last-resource commit).</summary>
    internal DatabaseLocation Location { get; }

    private int MaxPoolSize { get; }

    /// <summary>Creates a resource with a data source of its own from <paramref name="connectionString"/> (with <c>Enlist=false</c> forced).</summary>
    public static NpgsqlTransactionResource Create(string name, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Enlist = false };
        return new NpgsqlTransactionResource(name, NpgsqlDataSource.Create(builder), ownsDataSource: true);
    }

    /// <summary>
    /// Opens a connection, begins a transaction on it and enlists it in <paramref name="transaction"/>. Run the unit of
    /// work on <see cref="NpgsqlTransactionBranch.Connection"/>; the distributed transaction prepares, commits and disposes it.
    /// </summary>
    public async ValueTask<NpgsqlTransactionBranch> BeginBranchAsync(DistributedTransaction transaction, IsolationLevel isolationLevel = IsolationLevel.ReadCommitted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var branch = await OpenBranchAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
        try
        {
            transaction.Enlist(branch);
            return branch;
        }
        catch
        {
            await branch.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a connection and begins a transaction on it, without enlisting it: enlist the branch (or a wrapper around it)
    /// with <see cref="DistributedTransaction.Enlist"/>. Until enlisted, the caller disposes it.
    /// </summary>
    public async ValueTask<NpgsqlTransactionBranch> OpenBranchAsync(IsolationLevel isolationLevel = IsolationLevel.ReadCommitted, CancellationToken cancellationToken = default)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var local = await connection.BeginTransactionAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
            return new NpgsqlTransactionBranch(this, connection, local);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    async ValueTask<IDbTransactionBranch> IDbTransactionResource.OpenDbBranchAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        await OpenBranchAsync(isolationLevel, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask ValidateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenForStartupCheckAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT current_setting('max_prepared_transactions')::int", connection);
        var maxPrepared = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (maxPrepared == 0 || maxPrepared < MaxPoolSize)
        {
            throw new PreparedTransactionsUnavailableException(Name, maxPrepared, MaxPoolSize);
        }
    }

    // A bare NpgsqlException at host start says neither which participant nor where it points; this one says both.
    private async ValueTask<NpgsqlConnection> OpenForStartupCheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var settings = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString);
            throw new ParticipantUnreachableException(Name, settings.Host ?? "(no host)", settings.Port, settings.Database ?? settings.Username ?? string.Empty, ex);
        }
    }

    /// <inheritdoc />
    string ICoordinatorNodeClaim.NodeClaimScope => Location.ToString();

    /// <inheritdoc />
    /// <remarks>
    /// The claim lives in the participant's own database, where two coordinators with one node id would do the harm,
    /// so it also catches two coordinators on different hosts with file decision logs of their own. It keeps one of the
    /// pool's connections for the coordinator's lifetime.
    /// </remarks>
    ValueTask<IHeldNodeClaim> ICoordinatorNodeClaim.ClaimNodeAsync(string prefix, string nodeId, NodeClaimOwner owner, CancellationToken cancellationToken) =>
        PostgresNodeClaim.ClaimAsync(DataSource, $"{Location} (resource '{Name}')", prefix, nodeId, owner, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(globalIdPrefix);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Prepared transactions belong to the whole cluster; COMMIT PREPARED must run in the database that prepared them.
        await using var command = new NpgsqlCommand(
            "SELECT gid, prepared FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1) ORDER BY prepared",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = globalIdPrefix });
        var branches = new List<InDoubtBranch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            branches.Add(new InDoubtBranch(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return branches;
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresGlobalIds.CompleteAsync(connection, "COMMIT", globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await PostgresGlobalIds.CompleteAsync(connection, "ROLLBACK", globalId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
