namespace DataPatterns.Cqrs.Npgsql;

/// <summary>Identifier checks and quoting for names we put into SQL text.</summary>
internal static class SqlNames
{
    public static bool IsIdentifier(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string GenerationSchema(string projection, int generation) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{projection}_g{generation}");
}
