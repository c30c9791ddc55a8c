using DataPatterns.Docs.Tests.Snippets;
using Xunit.Abstractions;

namespace DataPatterns.Docs.Tests;

/// <summary>
/// Every C# block of README.md, docs/*.md and src/*/PACKAGE.md compiles against the packages. A block that deliberately
/// cannot stand alone says so in its fence (<c>```csharp fragment</c>) and is listed, not compiled.
/// Run one file's blocks with <c>dotnet test --filter "DisplayName~docs/sharding.md"</c>.
/// </summary>
public sealed class DocumentationSnippetTests(ITestOutputHelper output)
{
    // Fragments are the exception: wrapping (statements in a method, types hoisted, well-known variables) lets almost
    // every snippet compile, so a growing count means snippets are drifting out of the check.
    private const int MaxFragments = 3;

    /// <summary>Every compiled block, as (file, line).</summary>
    public static TheoryData<string, int> CompiledBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in MarkdownCodeBlocks.InDocumentation().Where(b => !b.IsFragment))
        {
            data.Add(block.File, block.Line);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CompiledBlocks))]
    public void The_csharp_block_compiles_against_the_packages(string file, int line)
    {
        var block = MarkdownCodeBlocks.InDocumentation().Single(b => b.File == file && b.Line == line);

        var failure = SnippetCompiler.Check(block);

        Assert.True(failure is null, failure);
    }

    [Fact]
    public void Fragments_are_listed_by_file_and_line_and_stay_few()
    {
        var all = MarkdownCodeBlocks.InDocumentation().ToList();
        var fragments = all.Where(b => b.IsFragment).ToList();
        output.WriteLine($"{all.Count} C# blocks in the docs: {all.Count - fragments.Count} compiled, {fragments.Count} fragment(s) not compiled:");
        foreach (var fragment in fragments)
        {
            output.WriteLine($"  fragment (not compiled): {fragment.Location}");
        }

        Assert.NotEmpty(all);
        Assert.True(fragments.Count <= MaxFragments, $"{fragments.Count} fragments ({string.Join(", ", fragments.Select(f => f.Location))}); at most {MaxFragments}: make blocks compile instead (see SnippetCompiler for what is in scope).");
    }
}
