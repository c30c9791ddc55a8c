using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Npgsql;

namespace DataPatterns.Sharding.Tests;

public sealed class SqlIdentifierQuotingTests
{
    [Property]
    public Property Double_quoting_encloses_any_name_and_doubles_every_embedded_quote_so_it_reads_back_unchanged(NonEmptyString text)
    {
        var name = new string([.. text.Get.Where(c => !char.IsControl(c))]);
        var quoted = string.IsNullOrWhiteSpace(name) ? null : SqlIdentifierQuoting.DoubleQuotes.Quote(name);
        return (quoted is null || (quoted[0] == '"' && quoted[^1] == '"' && Unquote(quoted[1..^1], '"') == name)).ToProperty();
    }

    [Theory]
    [InlineData("order", "\"order\"", "`order`", "[order]")]
    [InlineData("BucketId", "\"BucketId\"", "`BucketId`", "[BucketId]")]
    [InlineData("x\"; DROP TABLE y; --", "\"x\"\"; DROP TABLE y; --\"", "`x\"; DROP TABLE y; --`", "[x\"; DROP TABLE y; --]")]
    [InlineData("a`b]c", "\"a`b]c\"", "`a``b]c`", "[a`b]]c]")]
    public void Each_rule_doubles_only_its_own_closing_delimiter(string name, string doubleQuoted, string backticked, string bracketed)
    {
        Assert.Equal(doubleQuoted, SqlIdentifierQuoting.DoubleQuotes.Quote(name));
        Assert.Equal(backticked, SqlIdentifierQuoting.Backticks.Quote(name));
        Assert.Equal(bracketed, SqlIdentifierQuoting.SquareBrackets.Quote(name));
    }

    [Fact]
    public void The_Npgsql_provider_rule_is_the_command_builders_double_quotes()
    {
        var rule = SqlIdentifierQuoting.FromProvider(NpgsqlFactory.Instance);

        Assert.NotNull(rule);
        using var builder = new NpgsqlCommandBuilder();
        foreach (var name in new[] { "order", "Bucket Id", "x\"; DROP TABLE y; --" })
        {
            Assert.Equal(builder.QuoteIdentifier(name), rule.Quote(name));
        }
    }

    [Fact]
    public void A_provider_without_a_command_builder_has_no_rule()
    {
        Assert.Null(SqlIdentifierQuoting.FromProvider(null));
        Assert.Null(SqlIdentifierQuoting.FromProvider(new NoBuilderFactory()));
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("_Bucket2")]
    public void Plain_identifiers_pass_unchanged_when_quoting_is_off(string name) =>
        Assert.Equal(name, SqlIdentifierQuoting.PlainIdentifiersOnly.Quote(name));

    [Theory]
    [InlineData("x; DROP TABLE y")]
    [InlineData("line item")]
    [InlineData("a\"b")]
    [InlineData("2fast")]
    public void Names_that_are_not_plain_identifiers_are_refused_when_quoting_is_off_with_the_name_and_the_fix(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => SqlIdentifierQuoting.PlainIdentifiersOnly.Quote(name));

        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BucketMover.IdentifierQuoting", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    public void Empty_names_and_names_with_control_characters_are_refused_by_every_rule(string name)
    {
        foreach (var rule in new[] { SqlIdentifierQuoting.DoubleQuotes, SqlIdentifierQuoting.Backticks, SqlIdentifierQuoting.SquareBrackets, SqlIdentifierQuoting.PlainIdentifiersOnly })
        {
            Assert.Throws<ArgumentException>(() => rule.Quote(name));
        }
    }

    private static string Unquote(string inner, char delimiter) =>
        inner.Replace(new string(delimiter, 2), delimiter.ToString(), StringComparison.Ordinal);

    private sealed class NoBuilderFactory : System.Data.Common.DbProviderFactory
    {
    }
}
