using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DataPatterns.Docs.Tests.Snippets;

/// <summary>
/// What a snippet compiles against: the assemblies this test project runs with (the .NET and ASP.NET Core frameworks,
/// every src/ package and their dependencies), less the test tooling a reader's application would not have.
/// </summary>
public static class SnippetReferences
{
    private static readonly string[] TestToolingPrefixes =
    [
        "xunit", "FsCheck", "FSharp", "Microsoft.CodeAnalysis", "testhost", "Microsoft.TestPlatform", "Microsoft.VisualStudio",
        "Microsoft.TestHost", "Newtonsoft.Json", "NuGet.", "DataPatterns.Docs.Tests", "DataPatterns.Testing",
    ];

    private static readonly Lazy<IReadOnlyList<MetadataReference>> All = new(Load);

    /// <summary>The references, loaded once per test run.</summary>
    public static IReadOnlyList<MetadataReference> Get() => All.Value;

    private static List<MetadataReference> Load()
    {
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var output = Directory.GetFiles(AppContext.BaseDirectory, "*.dll");
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in trusted.Concat(output))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!TestToolingPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) && IsManaged(path))
            {
                byName.TryAdd(name, path);
            }
        }

        return byName.Values.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
