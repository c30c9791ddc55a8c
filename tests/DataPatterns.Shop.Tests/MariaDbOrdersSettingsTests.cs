namespace DataPatterns.Shop.Tests;

/// <summary><c>--orderShards</c> is checked at start: a value the Shop cannot run with stops it with a sentence saying what to set.</summary>
public sealed class MariaDbOrdersSettingsTests
{
    [Fact]
    public async Task An_unknown_order_shard_engine_stops_the_Shop_naming_the_two_that_work()
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync(["--services", "--node=settings", "--orderShards=oracle"]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--orderShards=oracle is not an engine the Shop knows: use --orderShards=postgres (the default) or --orderShards=mariadb.", transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MariaDB_order_shards_without_a_node_id_stop_the_Shop_asking_for_one()
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync(["--services", "--orderShards=mariadb"]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--orderShards=mariadb needs node: give every instance an id of its own", transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MariaDB_order_shards_without_the_servers_stop_the_Shop_asking_for_services()
    {
        var (exitCode, transcript) = await ShopInstance.FailToStartAsync(["--orderShards=mariadb", "--node=settings"]);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--orderShards=mariadb puts the order shards on the MariaDB servers of eng/services.sh: add --services.", transcript, StringComparison.Ordinal);
    }
}
