namespace DataPatterns.Docs.Tests.Snippets;

/// <summary>One fenced C# block of a Markdown file.</summary>
/// <param name="File">The file, relative to the repository root (forward slashes).</param>
/// <param name="Line">The 1-based line of the block's first code line (the line after the fence).</param>
/// <param name="Info">The fence's info string, e.g. "csharp" or "csharp fragment".</param>
/// <param name="Code">The block's text.</param>
/// <param name="CopyOf">The repository file the block shows whole (a <c>&lt;!-- snippet: path --&gt;</c> line above the fence),
/// compiled together with the other C# files of its folder; null for a block that stands alone.</param>
public sealed record CodeBlock(string File, int Line, string Info, string Code, string? CopyOf = null)
{
    /// <summary>The fence word that marks a block as a deliberate fragment: listed, counted, not compiled.</summary>
    public const string FragmentMarker = "fragment";

    /// <summary>Whether the fence says the block is a fragment (<c>```csharp fragment</c>).</summary>
    public bool IsFragment => Info.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Contains(FragmentMarker, StringComparer.Ordinal);

    /// <summary>Where the block is, as an editor link: file:line.</summary>
    public string Location => $"{File}:{Line}";

    /// <summary>The first few lines of the block, for failure messages.</summary>
    public string Excerpt(int lines = 6)
    {
        var all = Code.Split('\n');
        var shown = string.Join('\n', all.Take(lines).Select((l, i) => $"  {Line + i,4} | {l.TrimEnd('\r')}"));
        return all.Length > lines ? shown + "\n         | ..." : shown;
    }
}
