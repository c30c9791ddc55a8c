using System.Globalization;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>
/// Identifier checks and quoting for names we put into SQL text. Every configured name (schema, channel, projection) is
/// checked against <see cref="IsIdentifier"/> before use and then quoted, so it is one name twice over: a name that is
/// not plain never reaches SQL, and a plain one that is a reserved word (<c>order</c>) still works.
/// </summary>
internal static class SqlNames
{
    /// <summary>The longest projection name: its generation schemas (<c>name_gN</c>) must fit PostgreSQL's 63 bytes.</summary>
    public const int MaxProjectionName = 40;

    private const string PlainRule = "use 1 to 63 lower-case ASCII letters, digits and underscores, starting with a letter";

    public static bool IsIdentifier(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string GenerationSchema(string projection, int generation) =>
        string.Create(CultureInfo.InvariantCulture, $"{projection}_g{generation}");

    /// <summary>The problem with <paramref name="value"/> as the setting <paramref name="setting"/>, or null when it is a plain identifier.</summary>
    public static string? Problem(string setting, string? value) =>
        IsIdentifier(value) ? null : $"{setting} '{value}' is not a plain identifier; {PlainRule} (it names a PostgreSQL object, and only such names are accepted).";

    /// <summary>Throws when the schema or channel name of <paramref name="options"/> is not a plain identifier (for instances made without DI).</summary>
    public static void RequireNames(NpgsqlCqrsOptions options)
    {
        var problem = Problem("NpgsqlCqrsOptions.Schema", options.Schema) ?? Problem("NpgsqlCqrsOptions.NotificationChannel", options.NotificationChannel);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }
    }

    /// <summary>
    /// Why <paramref name="projection"/> cannot name PostgreSQL schemas, or null when it can: the view schema is the
    /// name itself, so it must not be a schema PostgreSQL or this library already uses.
    /// </summary>
    public static string? ProjectionNameProblem(string? projection, string bookkeepingSchema)
    {
        if (!IsIdentifier(projection) || projection!.Length > MaxProjectionName)
        {
            return $"the name '{projection}' is not a plain identifier of at most {MaxProjectionName} characters; use lower-case ASCII letters, digits and underscores, starting with a letter.";
        }

        if (projection is "public" or "information_schema" || projection.StartsWith("pg_", StringComparison.Ordinal) || projection == bookkeepingSchema)
        {
            return $"the name '{projection}' is the name of a schema PostgreSQL or the CQRS bookkeeping (NpgsqlCqrsOptions.Schema '{bookkeepingSchema}') already uses, and readers query a projection's views in the schema of its name; rename the projection.";
        }

        return null;
    }
}
