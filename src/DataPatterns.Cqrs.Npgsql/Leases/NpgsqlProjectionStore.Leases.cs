using System.Globalization;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

// The projections' leases: one row per projection in the leases table; the token grows each time another holder takes
// it, and every batch checks it FOR SHARE in its own transaction, so a deposed leader's batch cannot commit.
public sealed partial class NpgsqlProjectionStore
{
    /// <inheritdoc />
    public async ValueTask<long?> TryAcquireAsync(string projectionName, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_quotedSchema}.leases AS l (name, holder, token, expires_at)
            VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
            ON CONFLICT (name) DO UPDATE SET
                token = CASE WHEN l.holder = EXCLUDED.holder THEN l.token ELSE l.token + 1 END,
                holder = EXCLUDED.holder,
                expires_at = EXCLUDED.expires_at
            WHERE l.holder = EXCLUDED.holder OR l.expires_at < clock_timestamp()
            RETURNING token
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectionName });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = duration.TotalMilliseconds });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long token ? token : null;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string projectionName, string holder, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"UPDATE {_quotedSchema}.leases SET expires_at = '-infinity' WHERE name = $1 AND holder = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = projectionName });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CheckTokenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, long token, CancellationToken cancellationToken)
    {
        await using var command = ReadModelCommands.Command(connection, transaction, $"SELECT token FROM {_quotedSchema}.leases WHERE name = $1 FOR SHARE", name);
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long current || current != token)
        {
            throw new LeadershipLostException(string.Create(CultureInfo.InvariantCulture, $"Projection '{name}': the lease token {token} is no longer current; another instance has taken over."));
        }
    }
}
