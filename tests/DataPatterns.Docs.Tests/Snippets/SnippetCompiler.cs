using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataPatterns.Docs.Tests.Snippets;

/// <summary>
/// Compiles one documentation block the way a reader would paste it. Statements become the body of an async method with
/// a few well-known variables in scope (unless the block declares them itself); type and namespace declarations are
/// hoisted out of the method; the usings a new web project has implicitly are given, every other using (DataPatterns.*,
/// Npgsql, StackExchange.Redis...) must be in the block. <c>#line</c> directives map every diagnostic to the Markdown file.
/// </summary>
public static class SnippetCompiler
{
    /// <summary>The usings of a project on Microsoft.NET.Sdk.Web with implicit usings on.</summary>
    public static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    /// <summary>Variables a block may use without declaring them: name and type.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> WellKnownVariables =
    [
        ("services", "Microsoft.Extensions.DependencyInjection.IServiceCollection"),
        ("builder", "Microsoft.AspNetCore.Builder.WebApplicationBuilder"),
        ("app", "Microsoft.AspNetCore.Builder.WebApplication"),
        ("provider", "System.IServiceProvider"),
        ("ct", "System.Threading.CancellationToken"),
        ("cancellationToken", "System.Threading.CancellationToken"),
        ("args", "string[]"),
    ];

    // Obsolete API in the docs teaches what is about to go away: as bad as an error.
    private static readonly HashSet<string> WarningsThatFail = new(StringComparer.Ordinal) { "CS0612", "CS0618" };

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Compiles <paramref name="block"/> and returns the diagnostics that make it fail (none when it compiles).</summary>
    public static IReadOnlyList<Diagnostic> Compile(CodeBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var source = Wrap(block);
        var implicitUsings = CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), ParseOptions, "ImplicitUsings.cs");
        var snippet = CSharpSyntaxTree.ParseText(source, ParseOptions, "Snippet.cs", Encoding.UTF8);
        var compilation = CSharpCompilation.Create(
            "DocSnippet",
            [implicitUsings, snippet, .. SiblingsOf(block)],
            SnippetReferences.Get(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && WarningsThatFail.Contains(d.Id)))
            .Concat(StatementsAfterTypes(block))
            .ToList();
    }

    // Wrapping moves a block's statements into a method, which hides C#'s rule that top-level statements come before
    // every type declaration: a reader who pastes such a block into Program.cs gets CS8803, so the block fails here too.
    private static IEnumerable<Diagnostic> StatementsAfterTypes(CodeBlock block)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Code, ParseOptions).GetRoot();
        var late = root.Members.SkipWhile(m => m is GlobalStatementSyntax).OfType<GlobalStatementSyntax>().FirstOrDefault();
        if (late is null)
        {
            yield break;
        }

        var span = root.SyntaxTree.GetLineSpan(late.Span);
        var mapped = new Microsoft.CodeAnalysis.Text.LinePositionSpan(
            new(block.Line - 1 + span.StartLinePosition.Line, span.StartLinePosition.Character),
            new(block.Line - 1 + span.EndLinePosition.Line, span.EndLinePosition.Character));
        yield return Diagnostic.Create(
            "CS8803", "Compiler",
            "Top-level statements must precede namespace and type declarations: move this statement above the first type of the block",
            DiagnosticSeverity.Error, DiagnosticSeverity.Error, isEnabledByDefault: true, warningLevel: 0,
            location: Location.Create(block.File, late.Span, mapped));
    }

    /// <summary>Compiles <paramref name="block"/> and describes each failing diagnostic as file:line:column, with the block's excerpt.</summary>
    public static string? Check(CodeBlock block)
    {
        var diagnostics = Compile(block);
        if (diagnostics.Count == 0)
        {
            return null;
        }

        var report = new StringBuilder($"The C# block at {block.Location} does not compile ({diagnostics.Count} error(s)):\n");
        foreach (var diagnostic in diagnostics)
        {
            var span = diagnostic.Location.GetMappedLineSpan();
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {span.Path}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}: {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}\n");
        }

        return report.Append(block.Excerpt()).Append("\nFix the block, or mark it ```csharp fragment if it deliberately cannot stand alone.").ToString();
    }

    // A block that shows one file of a sample needs the sample's other files (its types live there); a sibling with
    // top-level statements is another program's entry point and stays out.
    private static List<SyntaxTree> SiblingsOf(CodeBlock block)
    {
        if (block.CopyOf is null)
        {
            return [];
        }

        var shown = Path.GetFullPath(Path.Combine(MarkdownCodeBlocks.RepositoryRoot, block.CopyOf));
        return Directory.GetFiles(Path.GetDirectoryName(shown)!, "*.cs")
            .Where(f => !string.Equals(f, shown, StringComparison.Ordinal))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), ParseOptions, f, Encoding.UTF8))
            .Where(t => !((CompilationUnitSyntax)t.GetRoot()).Members.OfType<GlobalStatementSyntax>().Any())
            .ToList();
    }

    /// <summary>The C# file <paramref name="block"/> becomes.</summary>
    public static string Wrap(CodeBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Code, ParseOptions).GetRoot();
        var text = new StringBuilder();
        foreach (var node in root.Externs.Cast<SyntaxNode>().Concat(root.Usings))
        {
            Append(text, block, root, node);
        }

        foreach (var attributes in root.AttributeLists)
        {
            Append(text, block, root, attributes);
        }

        var statements = root.Members.OfType<GlobalStatementSyntax>().ToList();
        if (statements.Count > 0)
        {
            var declared = DeclaredNames(statements);
            var parameters = WellKnownVariables.Where(v => !declared.Contains(v.Name)).Select(v => $"{v.Type} {v.Name}");
            text.Append("internal static class DocSnippetBody\n{\n#pragma warning disable CS1998\n");
            // A program may end with "return 2;": then it is a Task<int> Main, as top-level statements would make it.
            var returnType = ReturnsValue(statements) ? "global::System.Threading.Tasks.Task<int>" : "global::System.Threading.Tasks.Task";
            text.Append("    internal static async ").Append(returnType).Append(" RunAsync(").Append(string.Join(", ", parameters)).Append(")\n    {\n");
            foreach (var statement in statements)
            {
                Append(text, block, root, statement);
            }

            text.Append("#line default\n    }\n}\n");
        }

        foreach (var member in root.Members.Where(m => m is not GlobalStatementSyntax))
        {
            AppendMember(text, block, root, member);
        }

        return text.Append("#line default\n").ToString();
    }

    private static void AppendMember(StringBuilder text, CodeBlock block, CompilationUnitSyntax root, MemberDeclarationSyntax member)
    {
        if (member is FileScopedNamespaceDeclarationSyntax fileScoped)
        {
            // The body method sits outside the namespace, so a file-scoped namespace becomes a block-scoped one.
            text.Append("#line default\nnamespace ").Append(fileScoped.Name.ToString()).Append("\n{\n");
            foreach (var node in fileScoped.Usings.Cast<SyntaxNode>().Concat(fileScoped.Members))
            {
                Append(text, block, root, node);
            }

            text.Append("#line default\n}\n");
            return;
        }

        Append(text, block, root, member);
    }

    private static void Append(StringBuilder text, CodeBlock block, CompilationUnitSyntax root, SyntaxNode node)
    {
        var position = root.SyntaxTree.GetLineSpan(node.Span).StartLinePosition;
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"#line {block.Line + position.Line} \"{block.File}\"\n")
            .Append(' ', position.Character)
            .Append(node.ToString())
            .Append('\n');
    }

    private static bool ReturnsValue(IEnumerable<GlobalStatementSyntax> statements) =>
        statements.SelectMany(s => s.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            .OfType<ReturnStatementSyntax>()
            .Any(r => r.Expression is not null);

    private static HashSet<string> DeclaredNames(IEnumerable<GlobalStatementSyntax> statements)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in statements.SelectMany(s => s.DescendantNodesAndSelf()))
        {
            var identifier = node switch
            {
                VariableDeclaratorSyntax v => v.Identifier,
                SingleVariableDesignationSyntax d => d.Identifier,
                ForEachStatementSyntax f => f.Identifier,
                ParameterSyntax p => p.Identifier,
                LocalFunctionStatementSyntax l => l.Identifier,
                _ => default,
            };
            if (identifier != default)
            {
                names.Add(identifier.ValueText);
            }
        }

        return names;
    }
}
