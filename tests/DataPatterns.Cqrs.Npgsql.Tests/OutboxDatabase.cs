using DataPatterns.Cqrs.Npgsql;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>
/// A fresh database with the outbox and an event source over it, and the transactions the event-source tests
/// interleave: opened and left running, given a transaction id, or committed at once.
/// </summary>
internal sealed class OutboxDatabase : IAsyncDisposable
{
    private readonly TemporaryDatabase _database;

    private OutboxDatabase(TemporaryDatabase database)
    {
        _database = database;
        DataSource = NpgsqlDataSource.Create(database.ConnectionString);
        Outbox = new NpgsqlOutbox(DataSource, Options);
        Source = new NpgsqlEventSource(DataSource, Options);
    }

    public NpgsqlCqrsOptions Options { get; } = new();

    public NpgsqlDataSource DataSource { get; }

    public NpgsqlOutbox Outbox { get; }

    public NpgsqlEventSource Source { get; }

    public static async Task<OutboxDatabase> CreateAsync(string name)
    {
        var database = new OutboxDatabase(await TemporaryDatabase.CreateAsync(TestServers.Primary, name));
        await database.Outbox.EnsureCreatedAsync();
        return database;
    }

    /// <summary>A transaction left open; with <paramref name="takeId"/> it is given its transaction id at once.</summary>
    public async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> BeginAsync(bool takeId = false)
    {
        var connection = await DataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        if (takeId)
        {
            await TakeTransactionIdAsync(connection, transaction);
        }

        return (connection, transaction);
    }

    /// <summary>Appends <paramref name="events"/> in a transaction of their own and commits it.</summary>
    public async Task CommitAsync(params OutboxEvent[] events)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Outbox.AppendAsync(transaction, events);
        await transaction.CommitAsync();
    }

    /// <summary>Gives the transaction its id now, as a write would (an id-less transaction does not hold the horizon).</summary>
    public static async Task TakeTransactionIdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction);
        await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        await DataSource.DisposeAsync();
        await _database.DisposeAsync();
    }
}
