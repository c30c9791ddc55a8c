using System.Data.Common;
using System.Globalization;
using System.Text;

namespace DataPatterns.Sharding;

/// <summary>
/// Carries out a <see cref="ReshardingPlan"/> over ADO.NET <see cref="DbDataSource"/>s (written and tested for PostgreSQL).
/// The workflow is three steps, each safe to repeat after a crash:
/// <list type="number">
/// <item><description><see cref="CopyAsync"/>: per (from, to) group, in one destination transaction, delete what an
/// earlier attempt may have left for those buckets and copy the source rows in batches. The source keeps serving.</description></item>
/// <item><description>Switch: the application starts using the new topology (its configuration or directory).
/// Writes to moving buckets must be paused between the copy and the switch, or repeated after it.</description></item>
/// <item><description><see cref="DeleteMovedRowsAsync"/>: delete the moved buckets' rows from their old shards.</description></item>
/// </list>
/// </summary>
public sealed class BucketMover
{
    private readonly Func<Shard, DbDataSource> _dataSourceOf;

    /// <summary>Creates the mover; <paramref name="dataSourceOf"/> gives each shard's data source (e.g. a <see cref="ShardMap{TTarget}"/> lookup).</summary>
    public BucketMover(Func<Shard, DbDataSource> dataSourceOf)
    {
        ArgumentNullException.ThrowIfNull(dataSourceOf);
        _dataSourceOf = dataSourceOf;
    }

    /// <summary>Rows per INSERT statement (default 500).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Copies every moving bucket's rows of <paramref name="table"/> to its new shard; returns the rows copied.</summary>
    public async Task<long> CopyAsync(ReshardingPlan plan, BucketTable table, IProgress<ReshardingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Validate(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);

        long total = 0;
        foreach (var move in plan.Moves)
        {
            total += await CountAsync(move.From, table, move.Buckets, cancellationToken).ConfigureAwait(false);
        }

        long copied = 0;
        progress?.Report(new ReshardingProgress(table.Name, string.Empty, string.Empty, 0, total));
        foreach (var move in plan.Moves)
        {
            using var activity = ShardingTelemetry.ActivitySource.StartActivity("resharding copy " + table.Name);
            activity?.SetTag("datapatterns.from", move.From.Name);
            activity?.SetTag("datapatterns.to", move.To.Name);

            await using var source = await _dataSourceOf(move.From).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var destination = await _dataSourceOf(move.To).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await destination.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            await using (var clear = destination.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = $"DELETE FROM {table.Name} WHERE {table.BucketColumn} IN ({BucketList(move.Buckets)})";
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var select = source.CreateCommand();
            select.CommandText = $"SELECT {string.Join(", ", table.Columns)} FROM {table.Name} WHERE {table.BucketColumn} IN ({BucketList(move.Buckets)})";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var batch = new List<object[]>(BatchSize);
            long groupCopied = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = new object[table.Columns.Count];
                reader.GetValues(values);
                batch.Add(values);
                if (batch.Count == BatchSize)
                {
                    await InsertAsync(destination, transaction, table, batch, cancellationToken).ConfigureAwait(false);
                    copied += batch.Count;
                    groupCopied += batch.Count;
                    batch.Clear();
                    progress?.Report(new ReshardingProgress(table.Name, move.From.Name, move.To.Name, copied, total));
                }
            }

            if (batch.Count > 0)
            {
                await InsertAsync(destination, transaction, table, batch, cancellationToken).ConfigureAwait(false);
                copied += batch.Count;
                groupCopied += batch.Count;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            ShardingTelemetry.RecordRowsCopied(table.Name, move.From, move.To, groupCopied);
            progress?.Report(new ReshardingProgress(table.Name, move.From.Name, move.To.Name, copied, total));
        }

        return copied;
    }

    /// <summary>After the switch: deletes the moved buckets' rows from their old shards; returns the rows deleted.</summary>
    public async Task<long> DeleteMovedRowsAsync(ReshardingPlan plan, BucketTable table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Validate(table);
        long deleted = 0;
        foreach (var move in plan.Moves)
        {
            await using var command = _dataSourceOf(move.From).CreateCommand(
                $"DELETE FROM {table.Name} WHERE {table.BucketColumn} IN ({BucketList(move.Buckets)})");
            deleted += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    private async Task<long> CountAsync(Shard shard, BucketTable table, IReadOnlyList<int> buckets, CancellationToken cancellationToken)
    {
        await using var command = _dataSourceOf(shard).CreateCommand(
            $"SELECT count(*) FROM {table.Name} WHERE {table.BucketColumn} IN ({BucketList(buckets)})");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, BucketTable table, List<object[]> rows, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        var sql = new StringBuilder($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ");
        var parameter = 0;
        for (var row = 0; row < rows.Count; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < table.Columns.Count; column++)
            {
                var name = "p" + parameter.ToString(CultureInfo.InvariantCulture);
                parameter++;
                sql.Append(column == 0 ? "@" : ", @").Append(name);
                var dbParameter = insert.CreateParameter();
                dbParameter.ParameterName = name;
                dbParameter.Value = rows[row][column];
                insert.Parameters.Add(dbParameter);
            }

            sql.Append(')');
        }

        insert.CommandText = sql.ToString();
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Bucket numbers are ints we produced, so they are safe to inline as literals.
    private static string BucketList(IReadOnlyList<int> buckets) =>
        string.Join(",", buckets.Select(b => b.ToString(CultureInfo.InvariantCulture)));

    private static void Validate(BucketTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Columns.Count == 0)
        {
            throw new ArgumentException($"BucketTable '{table.Name}' lists no columns; list every column to copy, the bucket column included.", nameof(table));
        }

        if (!table.Columns.Contains(table.BucketColumn, StringComparer.Ordinal))
        {
            throw new ArgumentException($"BucketTable '{table.Name}': the bucket column '{table.BucketColumn}' must be one of the copied columns.", nameof(table));
        }
    }
}
