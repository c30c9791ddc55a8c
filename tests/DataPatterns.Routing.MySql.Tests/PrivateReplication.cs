using DataPatterns.Testing;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>
/// A private MariaDB primary with a GTID replica, shared by the tests that kill the replica or stop its SQL thread (they
/// run one after another and leave the servers as they found them). Failover and several-domain tests make servers of their own.
/// </summary>
public sealed class PrivateReplication : IAsyncLifetime
{
    public PrivateMariaDb Primary { get; private set; } = null!;

    public PrivateMariaDb Replica { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Primary = await PrivateMariaDb.StartNewAsync("rt-pri");
        Replica = await Primary.StartReplicaAsync("rt-rep");
        await Primary.ExecuteAsync("CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL)");
        await Sql.CatchUpAsync(Primary.ConnectionString, Replica.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PrivateReplicationTests : ICollectionFixture<PrivateReplication>
{
    public const string Name = "mariadb routing private replication";
}
