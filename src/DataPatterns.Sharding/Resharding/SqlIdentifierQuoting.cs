using System.Data.Common;

namespace DataPatterns.Sharding;

/// <summary>
/// How <see cref="BucketMover"/> writes a table, schema or column name into SQL. Names are never pasted as written: each
/// is either quoted by the database's rule (so <c>order</c>, <c>BucketId</c> or <c>x; DROP TABLE y</c> is one harmless
/// name) or, with <see cref="PlainIdentifiersOnly"/>, refused unless it is a plain identifier.
/// </summary>
public sealed class SqlIdentifierQuoting
{
    private readonly Func<string, string> _quote;

    private SqlIdentifierQuoting(string description, Func<string, string> quote)
    {
        Description = description;
        _quote = quote;
    }

    /// <summary>Standard SQL double quotes, an embedded <c>"</c> doubled: PostgreSQL, SQLite, Oracle, DB2.</summary>
    public static SqlIdentifierQuoting DoubleQuotes { get; } = Enclosing('"', '"', "double quotes (\"name\")");

    /// <summary>Backticks, an embedded <c>`</c> doubled: MySQL and MariaDB.</summary>
    public static SqlIdentifierQuoting Backticks { get; } = Enclosing('`', '`', "backticks (`name`)");

    /// <summary>Square brackets, an embedded <c>]</c> doubled: SQL Server.</summary>
    public static SqlIdentifierQuoting SquareBrackets { get; } = Enclosing('[', ']', "square brackets ([name])");

    /// <summary>
    /// No quoting: only plain identifiers (an ASCII letter or underscore, then ASCII letters, digits or underscores, at most
    /// 128 characters) are accepted and sent as written, so the database folds their case as usual; anything else is
    /// refused. The safe choice for a provider whose quoting rule is unknown. A plain name that is a reserved word
    /// (<c>order</c>) still fails in the database: pick a quoting rule for such names.
    /// </summary>
    public static SqlIdentifierQuoting PlainIdentifiersOnly { get; } = new("plain identifiers only (no quoting)", RequirePlain);

    /// <summary>What this rule does, for messages.</summary>
    public string Description { get; }

    /// <summary>
    /// The rule of an ADO.NET provider, through its <see cref="DbCommandBuilder.QuoteIdentifier"/> (Npgsql: <c>"name"</c>,
    /// MySqlConnector: <c>`name`</c>, Microsoft.Data.SqlClient: <c>[name]</c>); null when the provider has no command builder
    /// or its builder does not quote.
    /// </summary>
    /// <param name="factory">The provider's factory (<c>DbProviderFactories.GetFactory(connection)</c>).</param>
    /// <returns>The provider's rule, or null.</returns>
    public static SqlIdentifierQuoting? FromProvider(DbProviderFactory? factory)
    {
        if (factory is null || !factory.CanCreateCommandBuilder)
        {
            return null;
        }

        using var builder = factory.CreateCommandBuilder();
        if (builder is null)
        {
            return null;
        }

        try
        {
            var prefix = builder.QuotePrefix;
            var suffix = builder.QuoteSuffix;
            // A builder that leaves names bare (no delimiters set) or uses delimiters we cannot mirror is no quoting at all.
            if (prefix is not { Length: 1 } || suffix is not { Length: 1 })
            {
                return null;
            }

            // Use the provider's rule only if its own QuoteIdentifier agrees with it, embedded delimiters included.
            var rule = Enclosing(prefix[0], suffix[0], $"{factory.GetType().Name} quoting ({prefix}name{suffix})");
            string[] probes = ["a", "a" + prefix + suffix + "b", "x; DROP TABLE y"];
            return probes.All(p => builder.QuoteIdentifier(p) == rule._quote(p)) ? rule : null;
        }
        catch (NotSupportedException)
        {
            // DbCommandBuilder's own QuoteIdentifier: the provider did not implement quoting.
            return null;
        }
    }

    /// <summary>The name as it must appear in SQL.</summary>
    /// <param name="identifier">The name exactly as the database stores it (not already quoted).</param>
    /// <returns>The quoted (or, for <see cref="PlainIdentifiersOnly"/>, checked) name.</returns>
    /// <exception cref="ArgumentException">The name is empty, holds a control character, or is refused by this rule.</exception>
    public string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.Length == 0 || string.IsNullOrWhiteSpace(identifier))
        {
            throw new ArgumentException("An SQL name is empty or blank; give the table, schema or column name as the database stores it.", nameof(identifier));
        }

        if (identifier.Any(char.IsControl))
        {
            throw new ArgumentException($"The SQL name '{Printable(identifier)}' holds a control character (a line break, tab or NUL); databases cannot store such names, so it is refused.", nameof(identifier));
        }

        return _quote(identifier);
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    // The rule is the same for all three: the name between the delimiters, the closing delimiter doubled inside. Built
    // from the provider's own characters, it never needs the provider's builder again (no allocation of one per name).
    private static SqlIdentifierQuoting Enclosing(char open, char close, string description)
    {
        var closing = close.ToString();
        var doubled = new string(close, 2);
        return new SqlIdentifierQuoting(description, name => open + name.Replace(closing, doubled, StringComparison.Ordinal) + close);
    }

    private static string RequirePlain(string name)
    {
        var plain = name.Length <= 128 && (char.IsAsciiLetter(name[0]) || name[0] == '_')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return plain
            ? name
            : throw new ArgumentException(
                $"The SQL name '{name}' is not a plain identifier (an ASCII letter or underscore, then letters, digits or underscores), and identifier quoting is off (SqlIdentifierQuoting.PlainIdentifiersOnly), so it is refused rather than pasted into SQL. Rename it, or set BucketMover.IdentifierQuoting to the database's rule (DoubleQuotes, Backticks or SquareBrackets).",
                nameof(name));
    }

    private static string Printable(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
