using System.Globalization;
using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;

namespace DataPatterns.Benchmarks.Cqrs;

/// <summary>Balance and event count per account, folded per batch (one upsert per account touched by the batch).</summary>
public sealed class BenchAccountsProjection(string name = "bench_accounts") : IProjection<NpgsqlProjectionContext>
{
    public string Name { get; } = name;

    public IReadOnlyCollection<string> EventTypes { get; } = ["deposited"];

    public ValueTask InitializeAsync(NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        context.Execute($"CREATE TABLE {context.Table("accounts")} (id text PRIMARY KEY, balance bigint NOT NULL, events bigint NOT NULL)");
        return ValueTask.CompletedTask;
    }

    public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, NpgsqlProjectionContext context, CancellationToken cancellationToken)
    {
        var sums = new Dictionary<string, (long Balance, long Events)>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            var amount = long.Parse(e.Payload, CultureInfo.InvariantCulture);
            var current = sums.GetValueOrDefault(e.StreamId);
            sums[e.StreamId] = (current.Balance + amount, current.Events + 1);
        }

        foreach (var (id, (balance, count)) in sums)
        {
            context.UpsertAdd("accounts", 1, ["id", "balance", "events"], id, balance, count);
        }

        return ValueTask.CompletedTask;
    }
}
