using FsCheck;
using FsCheck.Fluent;

namespace DataPatterns.Routing.Tests;

public sealed class ConsistencyTokenTests
{
    [FsCheck.Xunit.Property]
    public bool Text_form_round_trips(ulong position) =>
        ConsistencyToken.Parse(new ConsistencyToken(position).ToString()) == new ConsistencyToken(position);

    [FsCheck.Xunit.Property]
    public bool Order_of_tokens_is_the_order_of_positions(ulong a, ulong b) =>
        (new ConsistencyToken(a) < new ConsistencyToken(b)) == (a < b)
        && ConsistencyToken.Max(new ConsistencyToken(a), new ConsistencyToken(b)).Position == Math.Max(a, b);

    [FsCheck.Xunit.Property]
    public Property Garbage_never_parses(NonNull<string> text)
    {
        var valid = text.Get.Split('/') is [var high, var low]
            && high.Length is > 0 and <= 8 && low.Length is > 0 and <= 8
            && high.All(char.IsAsciiHexDigit) && low.All(char.IsAsciiHexDigit);
        return (ConsistencyToken.TryParse(text.Get, out _) == valid).Label(text.Get);
    }

    [Theory]
    [InlineData("0/0", 0UL)]
    [InlineData("16/B374D848", 0x16_B374D848UL)]
    [InlineData("FFFFFFFF/FFFFFFFF", ulong.MaxValue)]
    public void PostgreSQL_lsn_text_parses(string text, ulong position)
    {
        Assert.Equal(position, ConsistencyToken.Parse(text).Position);
        Assert.Equal(text, new ConsistencyToken(position).ToString());
    }

    [Fact]
    public void A_bad_token_says_what_was_expected()
    {
        var error = Assert.Throws<FormatException>(() => ConsistencyToken.Parse("abc"));
        Assert.Contains("16/B374D848", error.Message, StringComparison.Ordinal);
    }
}
