namespace DataPatterns.Docs.Tests.Snippets;

/// <summary>Finds the fenced C# blocks of Markdown text and of the repository's documentation files.</summary>
public static class MarkdownCodeBlocks
{
    private static readonly string[] CSharpFenceLanguages = ["csharp", "cs", "c#"];

    /// <summary>The repository root: the nearest folder above the test's output holding DataPatterns.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The documentation files users read: README.md, every docs/*.md and every src/*/PACKAGE.md.</summary>
    public static IEnumerable<string> DocumentationFiles()
    {
        yield return "README.md";
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(RepositoryRoot, file).Replace('\\', '/');
        }

        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "PACKAGE.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(RepositoryRoot, file).Replace('\\', '/');
        }
    }

    /// <summary>Every C# block of every documentation file.</summary>
    public static IEnumerable<CodeBlock> InDocumentation() =>
        DocumentationFiles().SelectMany(file => Extract(file, File.ReadAllText(Path.Combine(RepositoryRoot, file))));

    /// <summary>The C# blocks of <paramref name="markdown"/>, which is the text of <paramref name="file"/>.</summary>
    public static IEnumerable<CodeBlock> Extract(string file, string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var opening = lines[i].TrimStart();
            if (!opening.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var indent = lines[i].Length - opening.Length;
            var info = opening[3..].Trim();
            var end = i + 1;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            var language = info.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            if (CSharpFenceLanguages.Contains(language, StringComparer.OrdinalIgnoreCase))
            {
                // A fence indented in a list item indents its code too; take the indent off so line positions stay true.
                var code = lines[(i + 1)..Math.Min(end, lines.Length)].Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart());
                yield return new CodeBlock(file, i + 2, info, string.Join('\n', code), CopyOf(lines, i));
            }

            i = end;
        }
    }

    // eng/test-steps/quickstart.sh checks that such a block equals its file; here it is compiled with its folder.
    private static string? CopyOf(string[] lines, int fence)
    {
        const string Marker = "<!-- snippet: ";
        var above = fence - 1;
        while (above >= 0 && string.IsNullOrWhiteSpace(lines[above]))
        {
            above--;
        }

        var line = above >= 0 ? lines[above].Trim() : "";
        return line.StartsWith(Marker, StringComparison.Ordinal) && line.EndsWith("-->", StringComparison.Ordinal)
            ? line[Marker.Length..^3].Trim()
            : null;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataPatterns.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No DataPatterns.sln above {AppContext.BaseDirectory}; run the docs tests from the repository's build output.");
    }
}
