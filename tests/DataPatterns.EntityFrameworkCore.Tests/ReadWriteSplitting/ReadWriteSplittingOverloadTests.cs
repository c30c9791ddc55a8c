using DataPatterns.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.ReadWriteSplitting;

/// <summary>An exhausted primary pool reaches EF Core as the router's overload error, and the context recovers.</summary>
public sealed class ReadWriteSplittingOverloadTests(SplitDatabase database) : IClassFixture<SplitDatabase>
{
    [Fact]
    public async Task An_exhausted_primary_pool_fails_the_operation_with_NodeOverloaded_and_the_next_one_succeeds()
    {
        var onePooled = new NpgsqlConnectionStringBuilder(database.PrimaryConnectionString) { MaxPoolSize = 1 }.ConnectionString;
        await using var router = SplitDatabase.NewRouter(onePooled, database.ReplicaConnectionString);
        await router.WaitUntilReadyAsync();
        await using var context = SplitDatabase.Context(router.CreateSession());
        await using (var held = await router.Primary.OpenConnectionAsync())
        {
            var error = await Assert.ThrowsAsync<NodeOverloadedException>(() => context.Notes.CountAsync());
            Assert.Equal("primary", error.NodeName);
            Assert.True(error.IsTransient);

            // A read-only context is not held up by the primary's pool: its reads go to the replica.
            await using var reader = SplitDatabase.Context(router.CreateSession(), readOnly: true);
            Assert.True(await SplitDatabase.InRecoveryAsync(reader));
        }

        Assert.False(await SplitDatabase.InRecoveryAsync(context));
        Assert.Equal(0, SplitDatabase.Outstanding(router));
        Assert.True(router.GetNodes().Single(n => n.Name == "primary").IsHealthy);
    }
}
