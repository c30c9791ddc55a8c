using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;

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
/// Table, schema and column names are quoted with <see cref="IdentifierQuoting"/> (by default the provider's own rule),
/// never pasted into SQL as written.
/// </summary>
public sealed class BucketMover
{
    private readonly Func<Shard, DbDataSource> _dataSourceOf;
    private readonly ConcurrentDictionary<Type, SqlIdentifierQuoting> _providerQuoting = new();

    /// <summary>Creates the mover; <paramref name="dataSourceOf"/> gives each shard's data source (e.g. a <see cref="ShardMap{TTarget}"/> lookup).</summary>
    public BucketMover(Func<Shard, DbDataSource> dataSourceOf)
    {
        ArgumentNullException.ThrowIfNull(dataSourceOf);
        _dataSourceOf = dataSourceOf;
    }

    /// <summary>Rows per INSERT statement (default 500).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// How table, schema and column names are written into SQL. Default null: the rule of each connection's ADO.NET
    /// provider (its <see cref="DbCommandBuilder.QuoteIdentifier"/>: Npgsql <c>"name"</c>, MySqlConnector <c>`name`</c>,
    /// SqlClient <c>[name]</c>), or <see cref="SqlIdentifierQuoting.PlainIdentifiersOnly"/> (refusing any other name) when
    /// the provider offers none. Set it to name the rule yourself.
    /// </summary>
    public SqlIdentifierQuoting? IdentifierQuoting { get; init; }

    /// <summary>Copies every moving bucket's rows of <paramref name="table"/> to its new shard; returns the rows copied.</summary>
    /// <exception cref="ArgumentException">The table's shape or one of its names is invalid (the message names it); nothing was written.</exception>
    public async Task<long> CopyAsync(ReshardingPlan plan, BucketTable table, IProgress<ReshardingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        BucketTableSql.Validate(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);

        // Counting first also checks every name against every source's quoting rule before anything is written.
        long total = 0;
        foreach (var move in plan.Moves)
        {
            total += await CountAsync(move.From, table, move.Buckets, cancellationToken).ConfigureAwait(false);
        }

        long copied = 0;
        progress?.Report(new ReshardingProgress(table.DisplayName, string.Empty, string.Empty, 0, total));
        foreach (var move in plan.Moves)
        {
            using var activity = ShardingMetrics.ActivitySource.StartActivity("resharding copy " + table.DisplayName);
            activity?.SetTag("datapatterns.sharding.from", move.From.Name);
            activity?.SetTag("datapatterns.sharding.to", move.To.Name);

            await using var source = await _dataSourceOf(move.From).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var destination = await _dataSourceOf(move.To).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var sourceSql = SqlFor(source, table);
            var destinationSql = SqlFor(destination, table);
            await using var transaction = await destination.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            await using (var clear = destination.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = destinationSql.Delete(move.Buckets);
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var select = source.CreateCommand();
            select.CommandText = sourceSql.Select(move.Buckets);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var batch = new List<object[]>(BatchSize);
            long groupCopied = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = new object[sourceSql.ColumnCount];
                reader.GetValues(values);
                batch.Add(values);
                if (batch.Count == BatchSize)
                {
                    await InsertAsync(destination, transaction, destinationSql, batch, cancellationToken).ConfigureAwait(false);
                    copied += batch.Count;
                    groupCopied += batch.Count;
                    batch.Clear();
                    progress?.Report(new ReshardingProgress(table.DisplayName, move.From.Name, move.To.Name, copied, total));
                }
            }

            if (batch.Count > 0)
            {
                await InsertAsync(destination, transaction, destinationSql, batch, cancellationToken).ConfigureAwait(false);
                copied += batch.Count;
                groupCopied += batch.Count;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            ShardingMetrics.Default.RecordRowsCopied(table.DisplayName, move.From, move.To, groupCopied);
            progress?.Report(new ReshardingProgress(table.DisplayName, move.From.Name, move.To.Name, copied, total));
        }

        return copied;
    }

    /// <summary>After the switch: deletes the moved buckets' rows from their old shards; returns the rows deleted.</summary>
    /// <exception cref="ArgumentException">The table's shape or one of its names is invalid (the message names it).</exception>
    public async Task<long> DeleteMovedRowsAsync(ReshardingPlan plan, BucketTable table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        BucketTableSql.Validate(table);
        long deleted = 0;
        foreach (var move in plan.Moves)
        {
            await using var connection = await _dataSourceOf(move.From).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = SqlFor(connection, table).Delete(move.Buckets);
            deleted += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>The quoting rule used on <paramref name="connection"/>: the one set, else its provider's, else plain names only.</summary>
    internal SqlIdentifierQuoting QuotingFor(DbConnection connection) =>
        IdentifierQuoting ?? _providerQuoting.GetOrAdd(
            connection.GetType(),
            static (_, c) => SqlIdentifierQuoting.FromProvider(DbProviderFactories.GetFactory(c)) ?? SqlIdentifierQuoting.PlainIdentifiersOnly,
            connection);

    private BucketTableSql SqlFor(DbConnection connection, BucketTable table) => BucketTableSql.Create(table, QuotingFor(connection));

    private async Task<long> CountAsync(Shard shard, BucketTable table, IReadOnlyList<int> buckets, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSourceOf(shard).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = SqlFor(connection, table).Count(buckets);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, BucketTableSql table, List<object[]> rows, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        var sql = table.InsertPrefix();
        var parameter = 0;
        for (var row = 0; row < rows.Count; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < table.ColumnCount; column++)
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
}
