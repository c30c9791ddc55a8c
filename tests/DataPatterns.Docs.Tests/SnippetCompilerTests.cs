using DataPatterns.Docs.Tests.Snippets;

namespace DataPatterns.Docs.Tests;

/// <summary>The harness itself: it must fail on a broken block, and its wrapping must not make good blocks fail.</summary>
public sealed class SnippetCompilerTests
{
    private static CodeBlock Only(string markdown) => Assert.Single(MarkdownCodeBlocks.Extract("memory.md", markdown));

    [Fact]
    public void A_broken_block_fails_with_its_file_line_error_and_excerpt()
    {
        var block = Only("""
            # Title

            ```csharp
            using DataPatterns.Sharding;

            var map = services.GetRequiredService<ShardSets>();
            ```
            """);

        var failure = SnippetCompiler.Check(block);

        Assert.NotNull(failure);
        // GetRequiredService is an IServiceProvider method; services is an IServiceCollection.
        Assert.Contains("memory.md:6:", failure, StringComparison.Ordinal);
        Assert.Contains("CS1929", failure, StringComparison.Ordinal);
        Assert.Contains("var map = services.GetRequiredService<ShardSets>();", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_statement_after_a_type_declaration_fails_as_it_would_in_Program_cs()
    {
        var block = Only("""
            ```csharp
            Console.WriteLine(new Order(1));

            public sealed record Order(long Id);

            Console.WriteLine(new Order(2));
            ```
            """);

        var failure = SnippetCompiler.Check(block);

        Assert.NotNull(failure);
        Assert.Contains("memory.md:6:1: CS8803", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_that_misses_a_using_of_a_package_fails()
    {
        var block = Only("""
            ```csharp
            builder.Services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a")));
            ShardResolver<long>? resolver = null;
            ```
            """);

        var diagnostics = SnippetCompiler.Compile(block);

        Assert.Contains(diagnostics, d => d.Id == "CS0246" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("ShardResolver<>", StringComparison.Ordinal));
    }

    [Fact]
    public void Statements_see_the_well_known_variables_and_types_are_hoisted_out_of_the_method()
    {
        var block = Only("""
            ```csharp
            using DataPatterns.Sharding;

            services.AddSharding(s => s.AddShardSet<long>("orders", o => o.AddShard("a")).ForDomain<Order>());
            await using var provider2 = services.BuildServiceProvider();
            var resolver = provider2.GetRequiredService<ShardSets>().ResolverFor<Order, long>();
            Console.WriteLine(resolver.Resolve(new Order(7).Id).Name + ct.IsCancellationRequested + app.Environment.ApplicationName);

            public sealed record Order(long Id);
            ```
            """);

        Assert.Empty(SnippetCompiler.Compile(block));
    }

    [Fact]
    public void A_whole_program_that_declares_its_own_builder_and_app_compiles()
    {
        var block = Only("""
            ```csharp
            var builder = WebApplication.CreateBuilder(args);
            var app = builder.Build();
            app.MapGet("/", () => "hi");
            await app.RunAsync();
            ```
            """);

        Assert.Empty(SnippetCompiler.Compile(block));
    }

    [Fact]
    public void Types_only_blocks_and_file_scoped_namespaces_compile()
    {
        var block = Only("""
            ```csharp
            namespace Shop;

            public sealed class Basket
            {
                public int Count { get; set; }
            }
            ```
            """);

        Assert.Empty(SnippetCompiler.Compile(block));
    }

    [Fact]
    public void Only_csharp_fences_are_blocks_and_a_fragment_fence_is_marked()
    {
        var blocks = MarkdownCodeBlocks.Extract("memory.md", """
            ```bash
            dotnet build
            ```

            ```csharp fragment
            .UseRedis(...)
            ```

            ```cs
            var x = 1;
            ```
            """).ToList();

        Assert.Equal(2, blocks.Count);
        Assert.True(blocks[0].IsFragment);
        Assert.Equal(6, blocks[0].Line);
        Assert.False(blocks[1].IsFragment);
        Assert.Equal(10, blocks[1].Line);
    }

    [Fact]
    public void Use_of_obsolete_api_fails_the_block()
    {
        var block = Only("""
            ```csharp
            Old();

            [Obsolete("use New")] static void Old() { }
            ```
            """);

        Assert.Contains(SnippetCompiler.Compile(block), d => d.Id == "CS0618");
    }
}
