using System.Text;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// The rows a batch upserts into one table, merged per key (the last values win, or summed for UpsertAdd), and sent as
/// one <c>unnest</c> statement with an array per column when the types allow (constant SQL text), else as multi-row
/// VALUES statements under PostgreSQL's parameter limit.
/// </summary>
internal sealed class UpsertGroup(string qualifiedTable, int keyColumnCount, string[] columns, bool add)
{
    private const int MaxParameters = 30_000;
    private readonly Dictionary<RowKey, object?[]> _rows = [];

    public void Add(object?[] values)
    {
        var key = new RowKey(values[..keyColumnCount]);
        if (_rows.TryGetValue(key, out var existing))
        {
            for (var i = keyColumnCount; i < columns.Length; i++)
            {
                existing[i] = add ? Sum(existing[i], values[i], columns[i]) : values[i];
            }
        }
        else
        {
            _rows.Add(key, (object?[])values.Clone());
        }
    }

    public void Emit(List<NpgsqlBatchCommand> queue)
    {
        var rows = _rows.Values.ToList();
        if (rows.Count > 1 && TryColumnArrays(rows) is { } arrays)
        {
            // One statement with one array per column: constant SQL text (prepared once per connection), any row count.
            var command = new NpgsqlBatchCommand(UnnestSql());
            foreach (var array in arrays)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = array });
            }

            queue.Add(command);
            return;
        }

        var rowsPerStatement = Math.Max(1, MaxParameters / columns.Length);
        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            var chunk = rows.GetRange(start, Math.Min(rowsPerStatement, rows.Count - start));
            var command = new NpgsqlBatchCommand(Sql(chunk.Count));
            foreach (var row in chunk)
            {
                foreach (var value in row)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                }
            }

            queue.Add(command);
        }
    }

    /// <summary>Typed arrays, one per column, when every value of each column has one supported type and none is null.</summary>
    private Array[]? TryColumnArrays(List<object?[]> rows)
    {
        var arrays = new Array[columns.Length];
        for (var column = 0; column < columns.Length; column++)
        {
            Array? array = rows[0][column] switch
            {
                string => Column<string>(rows, column),
                long => Column<long>(rows, column),
                int => Column<int>(rows, column),
                decimal => Column<decimal>(rows, column),
                double => Column<double>(rows, column),
                bool => Column<bool>(rows, column),
                Guid => Column<Guid>(rows, column),
                DateTimeOffset => Column<DateTimeOffset>(rows, column),
                _ => null,
            };
            if (array is null)
            {
                return null;
            }

            arrays[column] = array;
        }

        return arrays;
    }

    private static T[]? Column<T>(List<object?[]> rows, int column)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i][column] is not T value)
            {
                return null;
            }

            values[i] = value;
        }

        return values;
    }

    private string UnnestSql()
    {
        var sql = new StringBuilder("INSERT INTO ").Append(qualifiedTable).Append(" AS t (");
        AppendColumns(sql, columns.Length);
        sql.Append(") SELECT * FROM unnest(");
        for (var i = 0; i < columns.Length; i++)
        {
            sql.Append(i == 0 ? "$" : ", $").Append(i + 1);
        }

        sql.Append(')');
        return AppendConflict(sql).ToString();
    }

    private void AppendColumns(StringBuilder sql, int count)
    {
        for (var i = 0; i < count; i++)
        {
            sql.Append(i == 0 ? string.Empty : ", ").Append(SqlNames.Quote(columns[i]));
        }
    }

    private StringBuilder AppendConflict(StringBuilder sql)
    {
        sql.Append(" ON CONFLICT (");
        AppendColumns(sql, keyColumnCount);
        if (keyColumnCount == columns.Length)
        {
            return sql.Append(") DO NOTHING");
        }

        sql.Append(") DO UPDATE SET ");
        for (var i = keyColumnCount; i < columns.Length; i++)
        {
            var column = SqlNames.Quote(columns[i]);
            sql.Append(i == keyColumnCount ? string.Empty : ", ").Append(column).Append(" = ");
            if (add)
            {
                sql.Append("t.").Append(column).Append(" + ");
            }

            sql.Append("EXCLUDED.").Append(column);
        }

        return sql;
    }

    private string Sql(int rowCount)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(qualifiedTable).Append(" AS t (");
        AppendColumns(sql, columns.Length);
        sql.Append(") VALUES ");
        var parameter = 1;
        for (var row = 0; row < rowCount; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var i = 0; i < columns.Length; i++)
            {
                sql.Append(i == 0 ? "$" : ", $").Append(parameter++);
            }

            sql.Append(')');
        }

        return AppendConflict(sql).ToString();
    }

    private static object Sum(object? left, object? right, string column) => (left, right) switch
    {
        (long a, long b) => a + b,
        (int a, int b) => a + b,
        (decimal a, decimal b) => a + b,
        (double a, double b) => a + b,
        (short a, short b) => a + b,
        (float a, float b) => a + b,
        _ => throw new ArgumentException($"UpsertAdd adds the non-key columns; column '{column}' got {left?.GetType().Name ?? "null"} and {right?.GetType().Name ?? "null"}. Use the same numeric type (long, int, decimal, double) for every row, or Upsert to replace values."),
    };
}
