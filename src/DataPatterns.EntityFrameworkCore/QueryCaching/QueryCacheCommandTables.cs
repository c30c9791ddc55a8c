using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>
/// Finds the table of a statement that changes rows without the change tracker — <c>ExecuteUpdate</c>,
/// <c>ExecuteDelete</c>, <c>ExecuteSql</c> with UPDATE/DELETE/INSERT — from its first words, and hands it to the
/// invalidation interceptor, which invalidates it once committed (at once outside a transaction, at the commit inside
/// one). A writing statement whose table cannot be read, or is not in the model, invalidates every table of the model.
/// </summary>
internal static class QueryCacheCommandTables
{
    public static void Collect(DbCommand command, DbContext context, ISet<string> tags)
    {
        var text = command.CommandText.AsSpan().TrimStart();
        while (text.StartsWith("--", StringComparison.Ordinal) && text.IndexOf('\n') is var end and >= 0)
        {
            text = text[(end + 1)..].TrimStart(); // EF's TagWith comments come first
        }

        string? table;
        if (StartsWithWord(text, "UPDATE"))
        {
            table = TableAfter(text["UPDATE".Length..]);
        }
        else if (StartsWithWord(text, "DELETE") || StartsWithWord(text, "INSERT") || StartsWithWord(text, "MERGE"))
        {
            var rest = text[6..].TrimStart();
            table = StartsWithWord(rest, "FROM") || StartsWithWord(rest, "INTO") ? TableAfter(rest[4..]) : TableAfter(text[6..]);
        }
        else if (StartsWithWord(text, "TRUNCATE") || StartsWithWord(text, "WITH"))
        {
            table = null; // a list of tables, or a CTE before the statement: do not guess
        }
        else
        {
            return; // reads, DDL, calls: nothing the cache can track
        }

        var model = context.Model.GetRelationalModel();
        if (table is not null && FindTable(model, table) is { } known)
        {
            tags.Add(QueryCacheTables.TagOf(known));
            return;
        }

        foreach (var tag in QueryCacheTables.TagsOfModel(context.Model))
        {
            tags.Add(tag);
        }
    }

    private static bool StartsWithWord(ReadOnlySpan<char> text, string word) =>
        text.StartsWith(word, StringComparison.OrdinalIgnoreCase) && (text.Length == word.Length || !char.IsLetterOrDigit(text[word.Length]));

    /// <summary>The (schema-qualified) name after a keyword, without the provider's quotes: "s"."t", [s].[t], `t`.</summary>
    private static string? TableAfter(ReadOnlySpan<char> text)
    {
        text = text.TrimStart();
        if (StartsWithWord(text, "ONLY"))
        {
            text = text[4..].TrimStart(); // PostgreSQL: UPDATE ONLY t
        }

        var name = new System.Text.StringBuilder();
        var quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    name.Append(c);
                }
            }
            else if (c is '"' or '`')
            {
                quote = c;
            }
            else if (c == '[')
            {
                quote = ']';
            }
            else if (c == '.' || char.IsLetterOrDigit(c) || c == '_')
            {
                name.Append(c);
            }
            else
            {
                break;
            }
        }

        return name.Length == 0 ? null : name.ToString();
    }

    private static string? FindTable(IRelationalModel model, string name)
    {
        foreach (var table in model.Tables)
        {
            if (string.Equals(table.SchemaQualifiedName, name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(table.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return table.SchemaQualifiedName;
            }
        }

        return null;
    }
}
