using DataPatterns.Testing;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>
/// A private primary with two streaming replicas, shared by the tests that pause, stop or compare replicas (they run one
/// after another and leave the servers as they found them). Failover destroys its primary, so it makes servers of its own.
/// </summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    public PrivatePostgres Primary { get; private set; } = null!;

    public PrivatePostgres ReplicaA { get; private set; } = null!;

    public PrivatePostgres ReplicaB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Primary = await PrivatePostgres.StartNewAsync("routing-primary");
        ReplicaA = await Primary.StartReplicaAsync("routing-replica-a");
        ReplicaB = await Primary.StartReplicaAsync("routing-replica-b");
    }

    public async Task DisposeAsync()
    {
        await ReplicaB.DisposeAsync();
        await ReplicaA.DisposeAsync();
        await Primary.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PrivateClusterTests : ICollectionFixture<PrivateCluster>
{
    public const string Name = "routing private cluster";
}
