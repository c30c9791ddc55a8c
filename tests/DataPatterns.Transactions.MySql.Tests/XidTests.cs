using FsCheck;
using FsCheck.Xunit;

namespace DataPatterns.Transactions.MySql.Tests;

public sealed class XidTests
{
    [Property(MaxTest = 300)]
    public void Every_global_id_the_coordinator_writes_round_trips_through_the_xid(PositiveInt prefixLength, PositiveInt nodeLength, Guid transactionId, NonNegativeInt branch)
    {
        var prefix = new string('p', 1 + (prefixLength.Get % 45));
        var node = new string('n', 1 + (nodeLength.Get % 45));
        var globalId = GlobalTransactionId.Format(GlobalTransactionId.CoordinatorPrefix(prefix, node), transactionId, branch.Get % GlobalTransactionId.MaxBranches);

        var xid = MySqlXid.From(globalId);

        Assert.InRange(xid.Gtrid.Length, 1, 64);
        Assert.InRange(xid.Bqual.Length, 1, 64);
        Assert.True(MySqlXid.TryRead(MySqlXid.FormatId, xid.Gtrid.Length, xid.Bqual.Length, [.. xid.Gtrid, .. xid.Bqual], out var read));
        Assert.Equal(globalId, read);
        Assert.Matches("^X'[0-9A-F]+',X'[0-9A-F]+',1146106435$", xid.SqlLiteral);
    }

    [Fact]
    public void A_short_global_id_puts_the_transaction_in_gtrid_and_the_branch_in_bqual()
    {
        var xid = MySqlXid.From("app:node1:0190aabbccddeeff0011223344556677:3");

        Assert.Equal("app:node1:0190aabbccddeeff0011223344556677", System.Text.Encoding.ASCII.GetString(xid.Gtrid));
        Assert.Equal(":3", System.Text.Encoding.ASCII.GetString(xid.Bqual));
    }

    [Theory]
    [InlineData("")]
    [InlineData("app:node:x'); DROP TABLE orders; --:1")]
    [InlineData("app:nöde:0190aabbccddeeff0011223344556677:1")]
    public void A_global_id_with_bytes_the_coordinator_never_writes_is_refused(string globalId) =>
        Assert.Throws<ArgumentException>(() => MySqlXid.From(globalId));

    [Fact]
    public void A_global_id_longer_than_an_xid_is_refused_with_the_fix()
    {
        var error = Assert.Throws<ArgumentException>(() => MySqlXid.From(new string('a', 60) + ":" + new string('b', 60) + ":0190aabbccddeeff0011223344556677:1"));

        Assert.Contains("shorter Prefix or NodeId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_foreign_format_id_is_not_ours_and_a_damaged_row_of_ours_throws()
    {
        Assert.False(MySqlXid.TryRead(1, 2, 1, "aab"u8.ToArray(), out _));
        Assert.Throws<InvalidDataException>(() => MySqlXid.TryRead(MySqlXid.FormatId, 5, 1, "aab"u8.ToArray(), out _));
        Assert.Throws<InvalidDataException>(() => MySqlXid.TryRead(MySqlXid.FormatId, 2, 1, [0x61, 0xFF, 0x27], out _));
    }

    [Fact]
    public void The_prepare_time_is_read_from_the_version_7_transaction_id()
    {
        var began = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var globalId = GlobalTransactionId.Format("app:n:", Guid.CreateVersion7(began), 0);

        Assert.Equal(began, XaRecovery.BeganAt(globalId));
        Assert.Equal(DateTimeOffset.UnixEpoch, XaRecovery.BeganAt("app:n:" + Guid.NewGuid().ToString("N") + ":0"));
    }
}
