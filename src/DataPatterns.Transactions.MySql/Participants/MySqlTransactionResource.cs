using System.Data;
using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// A MariaDB (or MySQL) database taking part in two-phase commit through XA: begins branches
/// (<see cref="BeginBranchAsync"/>), completes prepared branches by global id on connections of its own, and lists this
/// node's prepared branches from <c>XA RECOVER</c> for recovery. A branch's xid is its global id split into gtrid and
/// bqual under formatID <c>0x44503243</c>, so global ids must fit 128 bytes (Prefix and NodeId together at most 91
/// characters). Its connections must not auto-enlist in System.Transactions (<c>AutoEnlist=false</c>).
/// </summary>
public sealed class MySqlTransactionResource : IDbTransactionResource, IAsyncDisposable
{
    private readonly bool _ownsDataSource;

    /// <summary>Uses <paramref name="dataSource"/>, whose connection string must say <c>AutoEnlist=false</c>.</summary>
    /// <exception cref="ArgumentException">The name is blank, or the data source's connections would auto-enlist in System.Transactions.</exception>
    public MySqlTransactionResource(string name, MySqlDataSource dataSource)
        : this(name, dataSource, ownsDataSource: false)
    {
    }

    private MySqlTransactionResource(string name, MySqlDataSource dataSource, bool ownsDataSource)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(dataSource);
        var settings = new MySqlConnectionStringBuilder(dataSource.ConnectionString);
        if (settings.AutoEnlist)
        {
            throw new ArgumentException($"Resource '{name}': the data source's connections auto-enlist in System.Transactions (AutoEnlist=true, MySqlConnector's default), which would run MySqlConnector's own unrecoverable XA beside the coordinator. Add 'AutoEnlist=false' to its connection string, or use MySqlTransactionResource.Create(name, connectionString).", nameof(dataSource));
        }

        if (!settings.ConnectionReset)
        {
            throw new ArgumentException($"Resource '{name}': the data source's connections are not reset when taken from the pool (Connection Reset=false), so a branch's XA transaction could outlive it on a pooled session. Remove 'Connection Reset=false' from its connection string.", nameof(dataSource));
        }

        Name = name;
        DataSource = dataSource;
        Location = MariaDbLocation.Of(settings);
        _ownsDataSource = ownsDataSource;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Where the branches' connections come from.</summary>
    public MySqlDataSource DataSource { get; }

    /// <summary>The server and database, to find out whether a decision log shares it (last-resource commit).</summary>
    internal MariaDbLocation Location { get; }

    /// <summary>Creates a resource with a data source of its own from <paramref name="connectionString"/> (with <c>AutoEnlist=false</c> forced).</summary>
    /// <exception cref="ArgumentException">The name or connection string is blank or the connection string cannot be parsed.</exception>
    public static MySqlTransactionResource Create(string name, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString) { AutoEnlist = false, ConnectionReset = true };
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Resource '{name}': the MariaDB connection string cannot be read ({ex.Message}). Write it as 'Server=host;Port=3306;User ID=user;Password=...;Database=name'.", nameof(connectionString), ex);
        }

        return new MySqlTransactionResource(name, new MySqlDataSource(builder.ConnectionString), ownsDataSource: true);
    }

    /// <summary>
    /// Opens a connection, enlists it in <paramref name="transaction"/> and starts its XA transaction (<c>XA START</c>)
    /// under the global id the enlistment gave it. Run the unit of work on <see cref="MySqlTransactionBranch.Connection"/>;
    /// the distributed transaction prepares, commits and disposes it.
    /// </summary>
    public async ValueTask<MySqlTransactionBranch> BeginBranchAsync(DistributedTransaction transaction, IsolationLevel isolationLevel = IsolationLevel.ReadCommitted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var branch = await OpenBranchAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
        string globalId;
        try
        {
            globalId = transaction.Enlist(branch);
        }
        catch
        {
            await branch.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Enlisted: from here the transaction owns the branch and disposes it, also when XA START fails.
        await branch.StartAsync(globalId, cancellationToken).ConfigureAwait(false);
        return branch;
    }

    /// <summary>
    /// Opens a connection for a branch without enlisting it or starting its XA transaction: an XA transaction is named when
    /// it starts, and its name is the global id only enlistment gives. Enlist the branch (or a wrapper around it) with
    /// <see cref="DistributedTransaction.Enlist"/>, then call <see cref="MySqlTransactionBranch.StartAsync"/> with the id
    /// it returned, before running SQL. Until enlisted, the caller disposes it.
    /// </summary>
    public async ValueTask<MySqlTransactionBranch> OpenBranchAsync(IsolationLevel isolationLevel = IsolationLevel.ReadCommitted, CancellationToken cancellationToken = default)
    {
        var isolation = IsolationSql(isolationLevel);
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return new MySqlTransactionBranch(this, connection, isolation);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Not supported: an XA transaction must be started under its global id, which is only known once the branch is
    /// enlisted. Use <see cref="BeginBranchAsync"/> (or <see cref="OpenBranchAsync"/> + <see cref="MySqlTransactionBranch.StartAsync"/>).
    /// </remarks>
    ValueTask<IDbTransactionBranch> IDbTransactionResource.OpenDbBranchAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"Resource '{Name}' (MariaDB XA) cannot open a branch before it is enlisted: an XA transaction is started under its global id, which enlistment assigns. Use MySqlTransactionResource.BeginBranchAsync(transaction) or transaction.EnlistMySqlAsync(\"{Name}\").");

    /// <inheritdoc />
    /// <remarks>See <see cref="MySqlStartupChecks"/> for what is checked.</remarks>
    public ValueTask ValidateAsync(CancellationToken cancellationToken) =>
        MySqlStartupChecks.ValidateAsync(this, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(globalIdPrefix);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await XaRecovery.ListAsync(connection, globalIdPrefix, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        var xid = MySqlXid.From(globalId);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await XaCommands.CommitAsync(connection, xid, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        var xid = MySqlXid.From(globalId);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await XaCommands.RollbackAsync(connection, xid, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string IsolationSql(IsolationLevel isolationLevel) => isolationLevel switch
    {
        IsolationLevel.ReadUncommitted => "READ UNCOMMITTED",
        IsolationLevel.ReadCommitted or IsolationLevel.Unspecified => "READ COMMITTED",
        IsolationLevel.RepeatableRead => "REPEATABLE READ",
        IsolationLevel.Serializable => "SERIALIZABLE",
        _ => throw new ArgumentOutOfRangeException(nameof(isolationLevel), isolationLevel, $"MariaDB has no isolation level {isolationLevel}; use ReadCommitted, RepeatableRead, Serializable or ReadUncommitted."),
    };
}
