using System.Globalization;
using System.Text;

namespace DataPatterns.Sharding;

/// <summary>
/// The SQL of one <see cref="BucketTable"/> under one <see cref="SqlIdentifierQuoting"/>: every name quoted once, here,
/// so no statement of the mover ever holds a name as the caller wrote it.
/// </summary>
internal sealed class BucketTableSql
{
    private const string SchemaSetting = "schema (BucketTable.Schema)";
    private const string NameSetting = "table name (BucketTable.Name)";
    private const string ColumnSetting = "column (BucketTable.Columns)";
    private const string BucketSetting = "bucket column (BucketTable.BucketColumn)";

    private readonly string _qualifiedTable;
    private readonly string _bucketColumn;
    private readonly string _columnList;

    private BucketTableSql(string qualifiedTable, string bucketColumn, string columnList, int columnCount)
    {
        _qualifiedTable = qualifiedTable;
        _bucketColumn = bucketColumn;
        _columnList = columnList;
        ColumnCount = columnCount;
    }

    public int ColumnCount { get; }

    /// <summary>Checks the table's shape and names, then quotes them; the message says which name is wrong and what to do.</summary>
    /// <exception cref="ArgumentException">A name is missing, already quoted, dotted, or refused by <paramref name="quoting"/>.</exception>
    public static BucketTableSql Create(BucketTable table, SqlIdentifierQuoting quoting)
    {
        Validate(table);
        var schema = table.Schema is null ? null : QuoteName(table, SchemaSetting, table.Schema, quoting);
        var name = QuoteName(table, NameSetting, table.Name, quoting);
        var columns = table.Columns.Select(c => QuoteName(table, ColumnSetting, c, quoting)).ToList();
        var bucket = QuoteName(table, BucketSetting, table.BucketColumn, quoting);
        return new BucketTableSql(schema is null ? name : schema + "." + name, bucket, string.Join(", ", columns), columns.Count);
    }

    public string Count(IReadOnlyList<int> buckets) => $"SELECT count(*) FROM {_qualifiedTable} WHERE {InBuckets(buckets)}";

    public string Select(IReadOnlyList<int> buckets) => $"SELECT {_columnList} FROM {_qualifiedTable} WHERE {InBuckets(buckets)}";

    public string Delete(IReadOnlyList<int> buckets) => $"DELETE FROM {_qualifiedTable} WHERE {InBuckets(buckets)}";

    public StringBuilder InsertPrefix() => new StringBuilder("INSERT INTO ").Append(_qualifiedTable).Append(" (").Append(_columnList).Append(") VALUES ");

    // Bucket numbers are ints we produced, so they are safe to inline as literals.
    private string InBuckets(IReadOnlyList<int> buckets) =>
        _bucketColumn + " IN (" + string.Join(",", buckets.Select(b => b.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>Checks the table's shape (names present, columns listed once, bucket column among them) without a quoting rule.</summary>
    public static void Validate(BucketTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (string.IsNullOrWhiteSpace(table.Name))
        {
            throw new ArgumentException("BucketTable.Name is empty; give the table name as the database stores it, e.g. new BucketTable(\"orders\", \"bucket\", [...]).", nameof(table));
        }

        if (table.Name.Contains('.', StringComparison.Ordinal) && table.Schema is null)
        {
            var dot = table.Name.IndexOf('.', StringComparison.Ordinal);
            throw new ArgumentException(
                $"BucketTable.Name '{table.Name}' holds a dot; the mover quotes the name as one identifier, so a schema in it would become part of the table name. Give the parts separately: new BucketTable(\"{table.Name[(dot + 1)..]}\", ...) {{ Schema = \"{table.Name[..dot]}\" }}.",
                nameof(table));
        }

        if (table.Columns is null || table.Columns.Count == 0)
        {
            throw new ArgumentException($"BucketTable '{table.DisplayName}' lists no columns; list every column to copy, the bucket column included.", nameof(table));
        }

        if (table.Columns.Distinct(StringComparer.Ordinal).Count() != table.Columns.Count)
        {
            var twice = table.Columns.GroupBy(c => c, StringComparer.Ordinal).First(g => g.Count() > 1).Key;
            throw new ArgumentException($"BucketTable '{table.DisplayName}' lists the column '{twice}' twice; list each column once.", nameof(table));
        }

        if (table.Schema is not null)
        {
            RequireBareName(table, SchemaSetting, table.Schema);
        }

        RequireBareName(table, NameSetting, table.Name);
        RequireBareName(table, BucketSetting, table.BucketColumn);
        foreach (var column in table.Columns)
        {
            RequireBareName(table, ColumnSetting, column);
        }

        if (!table.Columns.Contains(table.BucketColumn, StringComparer.Ordinal))
        {
            throw new ArgumentException($"BucketTable '{table.DisplayName}': the bucket column '{table.BucketColumn}' must be one of the copied columns (names compare exactly, case included).", nameof(table));
        }
    }

    private static void RequireBareName(BucketTable table, string what, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"BucketTable '{table.DisplayName}': the {what} is empty; give the name as the database stores it.", nameof(table));
        }

        if (LooksQuoted(name))
        {
            throw new ArgumentException(
                $"BucketTable '{table.DisplayName}': the {what} '{name}' is already quoted; give it bare ('{name[1..^1]}'), the mover quotes every name itself.",
                nameof(table));
        }
    }

    private static string QuoteName(BucketTable table, string what, string name, SqlIdentifierQuoting quoting)
    {
        try
        {
            return quoting.Quote(name);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"BucketTable '{table.DisplayName}', {what}: {ex.Message}", nameof(table), ex);
        }
    }

    private static bool LooksQuoted(string name) =>
        name.Length >= 2 && (name[0], name[^1]) is ('"', '"') or ('`', '`') or ('[', ']');
}
