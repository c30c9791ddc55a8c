using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Transactions.Tests.StatelessCommit;

public sealed class StatelessGlobalIdTests
{
    [Property(MaxTest = 500)]
    public Property Every_branch_id_names_its_transaction_its_index_and_every_resource_in_order(Guid transaction, PositiveInt count)
    {
        var resources = Enumerable.Range(0, (count.Get % 5) + 1).Select(i => $"db-{i}.orders_{i}").ToArray();
        var ids = StatelessGlobalId.Format("shop", transaction, resources);
        return ids.Select((id, i) =>
            StatelessGlobalId.TryParse(id, "shop", out var parsedTransaction, out var branch, out var parsedResources)
            && parsedTransaction == transaction && branch == i && parsedResources.SequenceEqual(resources)).All(ok => ok)
            .ToProperty();
    }

    [Fact]
    public void Ids_of_the_log_based_modes_and_of_other_prefixes_are_not_read_as_stateless()
    {
        var logBased = GlobalTransactionId.Format(GlobalTransactionId.CoordinatorPrefix("shop", "node1"), Guid.NewGuid(), 0);
        var other = StatelessGlobalId.Format("other", Guid.NewGuid(), ["a", "b"])[0];

        Assert.False(StatelessGlobalId.TryParse(logBased, "shop", out _, out _, out _));
        Assert.False(StatelessGlobalId.TryParse(other, "shop", out _, out _, out _));
        Assert.False(StatelessGlobalId.TryParse("shop:~:not-a-guid:0:a", "shop", out _, out _, out _));
        Assert.False(StatelessGlobalId.TryParse($"shop:~:{Guid.NewGuid():N}:2:a:b", "shop", out _, out _, out _)); // index past the list
    }

    [Fact]
    public void Bad_names_a_repeated_resource_and_an_id_too_long_for_PostgreSQL_are_refused_with_the_fix()
    {
        var id = Guid.NewGuid();
        Assert.Contains("Resource name 'a:b'", Assert.Throws<ArgumentException>(() => StatelessGlobalId.Format("shop", id, ["a:b"])).Message, StringComparison.Ordinal);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => StatelessGlobalId.Format("shop", id, ["a", "a"])).Message, StringComparison.Ordinal);
        Assert.Contains("prefix", Assert.Throws<ArgumentException>(() => StatelessGlobalId.Format("sh'op", id, ["a"])).Message, StringComparison.Ordinal);
        var tooLong = Assert.Throws<ArgumentException>(() => StatelessGlobalId.Format("shop", id, [new string('a', 60), new string('b', 60), new string('c', 60)]));
        Assert.Contains("Shorten the prefix or the resource names", tooLong.Message, StringComparison.Ordinal);
    }
}
