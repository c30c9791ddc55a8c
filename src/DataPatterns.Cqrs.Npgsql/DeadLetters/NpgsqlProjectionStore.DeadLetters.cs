using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

// The dead-letter store's reading side; a batch parks its poison events in the same transaction as its checkpoint.
public sealed partial class NpgsqlProjectionStore
{
    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DeadLetter>> GetAsync(string projectionName, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT name, generation, transaction_id, sequence, event_type, stream_id, payload, created_at, error, attempts, parked_at
            FROM {_quotedSchema}.dead_letters WHERE name = $1 ORDER BY parked_at, transaction_id, sequence
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectionName });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var letters = new List<DeadLetter>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var e = new EventEnvelope(new EventPosition(reader.GetInt64(2), reader.GetInt64(3)), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7));
            letters.Add(new DeadLetter(reader.GetString(0), reader.GetInt32(1), e, reader.GetString(8), reader.GetInt32(9), reader.GetFieldValue<DateTimeOffset>(10)));
        }

        return letters;
    }
}
