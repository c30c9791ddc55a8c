using Npgsql;

namespace DataPatterns.Caching.TestHost;

/// <summary>Writes order rows into PostgreSQL: a batch is one upsert statement (one transaction).</summary>
public sealed class PostgresOrderWriter(NpgsqlDataSource dataSource) : ICacheWriter<int, OrderRow>
{
    public ValueTask WriteAsync(int key, OrderRow value, CancellationToken cancellationToken) =>
        WriteBatchAsync([new KeyValuePair<int, OrderRow>(key, value)], cancellationToken);

    public async ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<int, OrderRow>> batch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO orders (id, customer, total) SELECT * FROM unnest(@ids, @customers, @totals) " +
            "ON CONFLICT (id) DO UPDATE SET customer = excluded.customer, total = excluded.total");
        command.Parameters.AddWithValue("ids", batch.Select(p => p.Value.Id).ToArray());
        command.Parameters.AddWithValue("customers", batch.Select(p => p.Value.Customer).ToArray());
        command.Parameters.AddWithValue("totals", batch.Select(p => p.Value.Total).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A writer that never finishes: the queue process holds a batch unacknowledged when it is killed.</summary>
public sealed class HangingWriter : ICacheWriter<int, OrderRow>
{
    public static readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask WriteAsync(int key, OrderRow value, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public async ValueTask WriteBatchAsync(IReadOnlyList<KeyValuePair<int, OrderRow>> batch, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
