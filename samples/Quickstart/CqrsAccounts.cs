using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

// The application's side of the CQRS quickstart: a command, its handler (write model + event) and a projection (read model).
internal sealed record Deposit(string Account, long Amount);

internal sealed class DepositHandler(NpgsqlDataSource db, NpgsqlOutbox outbox) : ICommandHandler<Deposit, long>
{
    public async ValueTask<long> HandleAsync(Deposit command, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var upsert = new NpgsqlCommand("INSERT INTO accounts VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + $2 RETURNING balance", connection, tx)
        {
            Parameters = { new NpgsqlParameter { Value = command.Account }, new NpgsqlParameter { Value = command.Amount } },
        };
        var balance = (long)(await upsert.ExecuteScalarAsync(cancellationToken))!;
        await outbox.AppendAsync(tx, new OutboxEvent(command.Account, "deposited", command.Amount.ToString(CultureInfo.InvariantCulture)), cancellationToken);
        await tx.CommitAsync(cancellationToken); // the change and its event: both or neither
        return balance;
    }
}

internal sealed class BalancesProjection : IProjection<NpgsqlProjectionContext>
{
    public string Name => "balances"; // the read model is the schema "balances"

    public IReadOnlyCollection<string> EventTypes { get; } = ["deposited"];

    public ValueTask InitializeAsync(NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        context.Execute($"CREATE TABLE {context.Table("accounts")} (id text PRIMARY KEY, balance bigint NOT NULL)"); // once per generation
        return ValueTask.CompletedTask;
    }

    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            context.UpsertAdd("accounts", 1, ["id", "balance"], e.StreamId, long.Parse(e.Payload, CultureInfo.InvariantCulture));
        }

        return ValueTask.CompletedTask; // the writes go with the checkpoint, in the batch's one transaction
    }
}
