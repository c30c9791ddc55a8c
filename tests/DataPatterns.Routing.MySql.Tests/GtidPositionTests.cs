using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>GTID positions as the server prints them, and their exact mapping to the router's one-number tokens.</summary>
public sealed class GtidPositionTests
{
    [Property(MaxTest = 300)]
    public bool A_position_formats_and_parses_back_to_the_same_gtids(uint[] domains, uint server, ulong sequence)
    {
        var gtids = (domains ?? []).Distinct().Take(5).Select((d, i) => new MariaDbGtid(d, server + (uint)i, sequence + (ulong)i)).ToArray();
        var text = string.Join(',', gtids);
        var parsed = MariaDbGtidPosition.Parse(text);
        return parsed.Gtids.SequenceEqual(gtids) && parsed.ToString() == text;
    }

    [Property(MaxTest = 300)]
    public bool A_replica_satisfies_a_write_token_exactly_when_it_has_replayed_that_sequence_in_the_domain(uint domain, ulong written, ulong replayed, uint otherServer)
    {
        written = Math.Min(written, ulong.MaxValue - 1);
        replayed = Math.Min(replayed, ulong.MaxValue - 1);
        var token = MariaDbConsistencyTokens.FromWritePosition(MariaDbGtidPosition.Parse($"{domain}-1-{written}"), domain);

        // The replica may print other domains (multi-source) and another server id (after a failover): only the domain's sequence counts.
        var other = domain == uint.MaxValue ? 0 : domain + 1;
        var replica = MariaDbConsistencyTokens.FromReplayPosition(MariaDbGtidPosition.Parse($"{other}-9-5,{domain}-{otherServer}-{replayed}"), domain);
        return (replica >= token) == (replayed >= written);
    }

    [Property(MaxTest = 200)]
    public bool A_write_position_with_a_second_domain_is_never_satisfied_by_any_replica(uint domain, ulong sequence, ulong replayed)
    {
        var other = domain == 0 ? 1u : 0u;
        var token = MariaDbConsistencyTokens.FromWritePosition(MariaDbGtidPosition.Parse($"{domain}-1-{sequence},{other}-1-3"), domain);
        var replica = MariaDbConsistencyTokens.FromReplayPosition(MariaDbGtidPosition.Parse($"{domain}-1-{replayed},{other}-1-{replayed}"), domain);
        return token == MariaDbConsistencyTokens.PrimaryOnly && replica < token && MariaDbConsistencyTokens.ToWaitPosition(token, domain) is null;
    }

    [Property(MaxTest = 200)]
    public bool A_token_survives_its_cookie_form_and_waits_for_the_same_position(ulong sequence)
    {
        sequence = Math.Clamp(sequence, 1, ulong.MaxValue - 1);
        var token = MariaDbConsistencyTokens.FromWritePosition(MariaDbGtidPosition.Parse($"0-7-{sequence}"), 0);
        var carried = ConsistencyToken.Parse(token.ToString());
        return carried == token && MariaDbConsistencyTokens.ToWaitPosition(carried, 0) == $"0-0-{sequence}";
    }

    [Fact]
    public void The_empty_position_and_an_absent_domain_are_sequence_zero_and_ask_for_nothing()
    {
        Assert.Empty(MariaDbGtidPosition.Parse("").Gtids);
        Assert.Equal(0UL, MariaDbGtidPosition.Parse("  ").SequenceOf(0));
        Assert.Equal(ConsistencyToken.None, MariaDbConsistencyTokens.FromWritePosition(MariaDbGtidPosition.Empty, 0));
        Assert.Null(MariaDbConsistencyTokens.ToWaitPosition(ConsistencyToken.None, 0));
        Assert.Equal(0UL, MariaDbGtidPosition.Parse("3-1-40").SequenceOf(0));
    }

    [Theory]
    [InlineData("0-1", "not three numbers")]
    [InlineData("0-1-2-3", "not three numbers")]
    [InlineData("a-1-2", "not an unsigned number")]
    [InlineData("-1-1-2", "not three numbers")]
    [InlineData("0-1-99999999999999999999", "not an unsigned number")]
    [InlineData("4294967296-1-2", "not an unsigned number")]
    [InlineData("0-1-2,0-3-4", "domain 0 appears twice")]
    [InlineData("0-1-2,", "not three numbers")]
    [InlineData("0-1-2;DROP TABLE t", "not")]
    [InlineData("16/B374D848", "not three numbers")]
    public void Garbage_is_refused_with_a_message_that_says_what_is_wrong(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => MariaDbGtidPosition.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("domain-server-sequence", error.Message, StringComparison.Ordinal);
        Assert.False(MariaDbGtidPosition.TryParse(text, out _));
    }

    [Fact]
    public void A_huge_garbage_value_is_quoted_only_by_its_start()
    {
        var error = Assert.Throws<FormatException>(() => MariaDbGtidPosition.Parse(new string('x', 100_000)));
        Assert.True(error.Message.Length < 600, "the message should not carry 100,000 characters");
        Assert.False(MariaDbGtidPosition.TryParse(null, out _));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("0-1-x")]
    public void A_gtid_position_read_back_from_the_server_that_is_garbage_fails_the_probe_with_the_variable_named(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServerValues.GtidPosition(value, "@@gtid_slave_pos"));
        Assert.Contains("@@gtid_slave_pos", error.Message, StringComparison.Ordinal);
        Assert.IsType<FormatException>(error.InnerException);
        Assert.Throws<InvalidOperationException>(() => ServerValues.GtidPosition(42, "@@gtid_binlog_pos"));
    }

    [Theory]
    [InlineData(0L, false)]
    [InlineData(1L, true)]
    [InlineData("OFF", false)]
    [InlineData("ON", true)]
    [InlineData("NO_LOCK", true)]
    public void Read_only_is_read_from_the_numeric_and_the_enum_forms(object value, bool readOnly) =>
        Assert.Equal(readOnly, ServerValues.IsReadOnly(value));

    [Theory]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", 5UL)]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7-9,\n4E11FA47-71CA-11E1-9E33-C80AA9429562:1", 9UL)]
    [InlineData("", 0UL)]
    public void A_mysql_gtid_set_counts_its_transactions(string set, ulong count) => Assert.Equal(count, MySqlGtidSet.CountTransactions(set));

    [Theory]
    [InlineData("not-a-uuid:1-5")]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562:5-1")]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562")]
    public void A_mysql_gtid_set_that_is_garbage_is_refused(string set) =>
        Assert.Contains("@@gtid_executed", Assert.Throws<InvalidOperationException>(() => MySqlGtidSet.CountTransactions(set)).Message, StringComparison.Ordinal);
}
