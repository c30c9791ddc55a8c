using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;

namespace DataPatterns.Cqrs.TestHost;

/// <summary>
/// The read model of the tests: per account, the sum of "deposited" amounts and the number of events applied
/// (so a doubled event shows). A payload of "poison" throws.
/// </summary>
public sealed class AccountsProjection : IProjection<NpgsqlProjectionContext>
{
    public const string Deposited = "deposited";
    public const string Poison = "poison";

    private readonly Func<NpgsqlProjectionContext, CancellationToken, ValueTask>? _afterEachBatch;

    public AccountsProjection(string name = "accounts", Func<NpgsqlProjectionContext, CancellationToken, ValueTask>? afterEachBatch = null)
    {
        Name = name;
        _afterEachBatch = afterEachBatch;
    }

    public string Name { get; }

    public IReadOnlyCollection<string> EventTypes { get; } = [Deposited];

    public ValueTask InitializeAsync(NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        context.Execute($"CREATE TABLE {context.Table("accounts")} (id text PRIMARY KEY, balance bigint NOT NULL, events bigint NOT NULL)");
        return ValueTask.CompletedTask;
    }

    public async ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        var sums = new Dictionary<string, (long Balance, long Events)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Payload == Poison)
            {
                throw new InvalidDataException($"Event {e.Position} is poison.");
            }

            var amount = long.Parse(e.Payload, CultureInfo.InvariantCulture);
            var current = sums.GetValueOrDefault(e.StreamId);
            sums[e.StreamId] = (current.Balance + amount, current.Events + 1);
        }

        foreach (var (id, (balance, count)) in sums)
        {
            context.UpsertAdd("accounts", 1, ["id", "balance", "events"], id, balance, count);
        }

        if (_afterEachBatch is not null)
        {
            await context.FlushAsync(cancellationToken);
            await _afterEachBatch(context, cancellationToken);
        }
    }
}
