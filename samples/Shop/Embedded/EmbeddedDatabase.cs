using System.Collections.Concurrent;
using DataPatterns.Transactions;

namespace DataPatterns.Samples.Shop.Embedded;

/// <summary>
/// An in-process database of keyed rows for the embedded mode, and a two-phase-commit resource for it: a branch stages
/// inserts, prepare checks them and holds their keys, commit applies them. It lives and dies with the process, so nothing
/// is ever in doubt after a restart; the file decision log still records every decision, as with real servers.
/// </summary>
public sealed class EmbeddedDatabase(string name, TimeProvider time) : ITransactionResource
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(string Table, string Key), object> _rows = new();
    private readonly Dictionary<string, EmbeddedBranch> _prepared = new(StringComparer.Ordinal);
    private readonly HashSet<(string Table, string Key)> _reserved = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>Called, inside the commit, with each committed branch's outbox events.</summary>
    public Action<IReadOnlyList<EmbeddedEvent>>? Committed { get; set; }

    /// <summary>Starts a branch and enlists it in <paramref name="transaction"/>.</summary>
    public EmbeddedBranch Enlist(DistributedTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var branch = new EmbeddedBranch(this);
        transaction.Enlist(branch);
        return branch;
    }

    /// <summary>Reads one row.</summary>
    public T? Find<T>(string table, string key) where T : class => _rows.TryGetValue((table, key), out var row) ? (T)row : null;

    /// <summary>Reads every row of a table (a scan: the embedded mode holds a few hundred rows).</summary>
    public IReadOnlyList<T> All<T>(string table) => [.. _rows.Where(r => r.Key.Table == table).Select(r => (T)r.Value)];

    /// <summary>True when the row exists or a prepared transaction is inserting it.</summary>
    public bool Exists(string table, string key)
    {
        lock (_gate)
        {
            return _rows.ContainsKey((table, key)) || _reserved.Contains((table, key));
        }
    }

    /// <summary>Writes a row outside any transaction (the catalogue, which needs no 2PC).</summary>
    public void Put(string table, string key, object row) => _rows[(table, key)] = row;

    /// <summary>Writes a row unless the stored one has a higher version (write-back flushes, which may arrive out of order).</summary>
    public void PutIfNewer<T>(string table, string key, T row, long version) where T : class =>
        _rows.AddOrUpdate((table, key), new Versioned<T>(row, version), (_, stored) => ((Versioned<T>)stored).Version < version ? new Versioned<T>(row, version) : stored);

    /// <inheritdoc />
    public ValueTask ValidateAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<InDoubtBranch>> GetInDoubtBranchesAsync(string globalIdPrefix, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<InDoubtBranch>>(
                [.. _prepared.Where(p => p.Key.StartsWith(globalIdPrefix, StringComparison.Ordinal)).Select(p => new InDoubtBranch(p.Key, p.Value.PreparedAt))]);
        }
    }

    /// <inheritdoc />
    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_prepared.Remove(globalId, out var branch))
            {
                return ValueTask.FromResult(BranchCompletion.NotFound);
            }

            Apply(branch);
            return ValueTask.FromResult(BranchCompletion.Completed);
        }
    }

    /// <inheritdoc />
    public ValueTask<BranchCompletion> RollbackPreparedAsync(string globalId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Forget(globalId) ? BranchCompletion.Completed : BranchCompletion.NotFound);

    internal PrepareVote Prepare(string globalId, EmbeddedBranch branch)
    {
        if (branch.Inserts.Count == 0 && branch.Events.Count == 0)
        {
            return PrepareVote.ReadOnly;
        }

        lock (_gate)
        {
            if (!TryReserve(branch))
            {
                return PrepareVote.No;
            }

            branch.PreparedAt = time.GetUtcNow();
            _prepared[globalId] = branch;
            return PrepareVote.Prepared;
        }
    }

    internal void CommitOnePhase(EmbeddedBranch branch)
    {
        lock (_gate)
        {
            if (!TryReserve(branch))
            {
                throw new EmbeddedConflictException($"'{Name}': a row this transaction inserts exists already.");
            }

            Apply(branch);
        }
    }

    internal bool Forget(string globalId)
    {
        lock (_gate)
        {
            if (!_prepared.Remove(globalId, out var branch))
            {
                return false;
            }

            Release(branch);
            return true;
        }
    }

    private bool TryReserve(EmbeddedBranch branch)
    {
        if (branch.Inserts.Any(i => _rows.ContainsKey((i.Table, i.Key)) || _reserved.Contains((i.Table, i.Key))))
        {
            return false;
        }

        foreach (var insert in branch.Inserts)
        {
            _reserved.Add((insert.Table, insert.Key));
        }

        return true;
    }

    private void Apply(EmbeddedBranch branch)
    {
        foreach (var insert in branch.Inserts)
        {
            _rows[(insert.Table, insert.Key)] = insert.Row;
        }

        Release(branch);
        if (branch.Events.Count > 0)
        {
            Committed?.Invoke(branch.Events);
        }
    }

    private void Release(EmbeddedBranch branch)
    {
        foreach (var insert in branch.Inserts)
        {
            _reserved.Remove((insert.Table, insert.Key));
        }
    }
}

/// <summary>One transaction's staged work on an <see cref="EmbeddedDatabase"/>.</summary>
public sealed class EmbeddedBranch : ITransactionParticipant
{
    private readonly EmbeddedDatabase _database;

    internal EmbeddedBranch(EmbeddedDatabase database) => _database = database;

    internal List<(string Table, string Key, object Row)> Inserts { get; } = [];

    internal List<EmbeddedEvent> Events { get; } = [];

    internal DateTimeOffset PreparedAt { get; set; }

    /// <inheritdoc />
    public string ResourceName => _database.Name;

    /// <summary>Stages an insert; the transaction fails to prepare if the key exists by then.</summary>
    public void Insert(string table, string key, object row) => Inserts.Add((table, key, row));

    /// <summary>Stages an outbox event: it enters the event log exactly when the branch commits.</summary>
    public void Append(EmbeddedEvent outboxEvent) => Events.Add(outboxEvent);

    /// <inheritdoc />
    public ValueTask<PrepareVote> PrepareAsync(string globalId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_database.Prepare(globalId, this));

    /// <inheritdoc />
    public ValueTask CommitOnePhaseAsync(CancellationToken cancellationToken)
    {
        _database.CommitOnePhase(this);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<BranchCompletion> CommitPreparedAsync(string globalId, CancellationToken cancellationToken) =>
        _database.CommitPreparedAsync(globalId, cancellationToken);

    /// <inheritdoc />
    public ValueTask RollbackAsync(string globalId, CancellationToken cancellationToken)
    {
        _database.Forget(globalId);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A row with the version it was written at.</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Row">The row.</param>
/// <param name="Version">Its write-back version.</param>
public sealed record Versioned<T>(T Row, long Version);

/// <summary>An outbox event of the embedded mode.</summary>
/// <param name="StreamId">The stream (the customer).</param>
/// <param name="EventType">The event type.</param>
/// <param name="Payload">The JSON payload.</param>
public readonly record struct EmbeddedEvent(string StreamId, string EventType, string Payload);

/// <summary>A one-phase commit found that a row it inserts exists already.</summary>
public sealed class EmbeddedConflictException(string message) : Exception(message);
