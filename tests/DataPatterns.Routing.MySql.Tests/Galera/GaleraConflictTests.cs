using DataPatterns.Routing.MySql.Galera;
using DataPatterns.Testing;

namespace DataPatterns.Routing.MySql.Tests.Galera;

/// <summary>Two writers racing on one row across two Galera nodes, with and without the key's node.</summary>
[Collection(SharedGaleraCluster.Name)]
public sealed class GaleraConflictTests
{
    [Fact]
    public async Task Two_writers_on_one_row_across_two_nodes_one_commits_the_other_gets_a_typed_retryable_conflict_and_its_retry_succeeds()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("race", new GaleraRoutingOptions { MaxWriteAttempts = 1 });
        var (slowKey, fastKey) = cluster.KeysOnTwoNodes();
        var updated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var winnerCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The slow writer updates the row on its node and waits; the fast one commits the same row on another node meanwhile.
        var slow = cluster.Writer.ExecuteAsync(slowKey, cluster.Increment(1, async () =>
        {
            updated.TrySetResult();
            await winnerCommitted.Task;
        }));
        await updated.Task;
        var fastResult = await cluster.Writer.ExecuteAsync(fastKey, cluster.Increment(10));
        winnerCommitted.SetResult();

        var conflict = await Assert.ThrowsAsync<GaleraCertificationConflictException>(() => slow);
        Assert.Equal(10, fastResult);
        Assert.True(conflict.IsTransient);
        Assert.Equal(1213, conflict.ErrorCode);
        Assert.Equal(1, conflict.Attempts);
        Assert.Equal(cluster.Writer.NodeFor(slowKey), conflict.NodeName);
        Assert.True(GaleraConflicts.IsConflict(conflict.InnerException));
        Assert.Contains("Run the whole transaction again", conflict.Message, StringComparison.Ordinal);

        // Retrying the whole transaction commits on top of the winner's write.
        Assert.Equal(11, await cluster.Writer.ExecuteAsync(slowKey, cluster.Increment(1)));
        foreach (var node in TestServers.Galera)
        {
            Assert.Equal(11, await cluster.ValueOnAsync(node));
        }
    }

    [Fact]
    public async Task With_retries_the_loser_of_the_race_runs_again_and_both_increments_count_on_every_node()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("retry", new GaleraRoutingOptions { MaxWriteAttempts = 3 });
        var (slowKey, fastKey) = cluster.KeysOnTwoNodes();
        var updated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var winnerCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;

        var slow = cluster.Writer.ExecuteAsync(slowKey, cluster.Increment(1, async () =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                updated.TrySetResult();
                await winnerCommitted.Task;
            }
        }));
        await updated.Task;
        await cluster.Writer.ExecuteAsync(fastKey, cluster.Increment(10));
        winnerCommitted.SetResult();

        Assert.Equal(11, await slow);
        Assert.Equal(2, attempts);
        foreach (var node in TestServers.Galera)
        {
            Assert.Equal(11, await cluster.ValueOnAsync(node));
        }
    }

    [Fact]
    public async Task With_the_same_key_both_writers_meet_on_one_node_and_queue_on_its_row_lock_without_a_conflict()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("affinity", new GaleraRoutingOptions { MaxWriteAttempts = 1 });
        var updated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cluster.Writer.ExecuteAsync("account:1", cluster.Increment(1, async () =>
        {
            updated.TrySetResult();
            await release.Task;
        }));
        await updated.Task;
        var second = cluster.Writer.ExecuteAsync("account:1", cluster.Increment(10));

        // The second writer is queued behind the first one's row lock on the same node, not racing it on another.
        await Task.Delay(300);
        Assert.False(second.IsCompleted);
        release.SetResult();

        Assert.Equal(1, await first);
        Assert.Equal(11, await second);
        foreach (var node in TestServers.Galera)
        {
            Assert.Equal(11, await cluster.ValueOnAsync(node));
        }
    }

    [Fact]
    public async Task An_error_that_is_not_a_conflict_is_neither_retried_nor_translated()
    {
        await using var cluster = await GaleraTestCluster.StartAsync("noretry", new GaleraRoutingOptions { MaxWriteAttempts = 3 });
        var runs = 0;
        var error = await Assert.ThrowsAsync<MySqlConnector.MySqlException>(() => cluster.Writer.ExecuteAsync("k", async (connection, transaction, ct) =>
        {
            Interlocked.Increment(ref runs);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO `{cluster.Table}` VALUES (1, 0)";
            return await command.ExecuteNonQueryAsync(ct);
        }));

        Assert.Equal(MySqlConnector.MySqlErrorCode.DuplicateKeyEntry, error.ErrorCode);
        Assert.Equal(1, runs);
        Assert.False(GaleraConflicts.IsConflict(error));
        Assert.Null(GaleraConflicts.Translate(error));
    }
}
