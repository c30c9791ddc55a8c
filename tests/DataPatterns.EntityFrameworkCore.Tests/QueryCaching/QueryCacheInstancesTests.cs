using DataPatterns.Testing;
using FsCheck.Xunit;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>
/// Two instances of one application (two service providers, as two processes) sharing Redis and the database: what a
/// save on one guarantees about the other's reads.
/// </summary>
public sealed class QueryCacheInstancesTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private TemporaryDatabase? _database;
    private int _nextTotal = 1000;

    private string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync() => _database = await ShopDatabase.CreateAsync("qcache_two");

    public async Task DisposeAsync() => await _database!.DisposeAsync();

    [Fact]
    public async Task A_save_on_one_instance_reaches_the_other_instances_memory_through_the_backplane()
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString);
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString);
        await BackplaneReadyAsync(a, b);
        var before = await TotalAsync(b);

        var saved = await SaveTotalAsync(a);

        Assert.Equal(saved, await TotalAsync(a)); // the saving instance: at once
        await EventuallyAsync(async () => await TotalAsync(b) == saved); // the other: when the message arrives
        Assert.NotEqual(before, saved);
    }

    [Fact]
    public async Task Without_a_memory_level_no_instance_serves_a_result_after_the_save_returned()
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        await TotalAsync(b);
        var reads = b.Counter.Count;
        await TotalAsync(b);
        Assert.Equal(reads, b.Counter.Count); // a hit in Redis

        var saved = await SaveTotalAsync(a);

        Assert.Equal(saved, await TotalAsync(b)); // the L2 tag marker was written before SaveChanges returned
    }

    /// <summary>
    /// A load on B that read the database before A's commit and stores its rows after A's invalidation: the entry is
    /// dated by when its load began, so A's tag marker is newer and hides it at once, with no second invalidation.
    /// </summary>
    [Fact]
    public async Task A_load_that_straddles_a_commit_on_another_instance_is_never_served_after_the_save()
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        var readDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Counter.AfterRead = async () =>
        {
            readDone.TrySetResult();
            await release.Task;
        };
        var load = TotalAsync(b);
        await readDone.Task.WaitAsync(Patience);
        b.Counter.AfterRead = null;

        var saved = await SaveTotalAsync(a);
        release.SetResult();
        var old = await load;

        Assert.NotEqual(saved, old); // B's caller asked before the save: it gets what it read
        Assert.Equal(saved, await TotalAsync(b)); // ReinvalidateAfter is off in these instances: the marker alone hides it
        Assert.Equal(saved, await TotalAsync(a));
    }

    /// <summary>The second invalidation (ReinvalidateAfter) still runs and leaves every instance on the saved rows.</summary>
    [Fact]
    public async Task The_second_invalidation_leaves_every_instance_on_the_saved_rows()
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString,
            configure: o => o.ReinvalidateAfter = TimeSpan.FromMilliseconds(200));
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString);
        await BackplaneReadyAsync(a, b);
        await TotalAsync(b);

        var saved = await SaveTotalAsync(a);
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        await EventuallyAsync(async () => await TotalAsync(b) == saved && await TotalAsync(a) == saved);
    }

    /// <summary>
    /// Random interleavings of reads and saves on two instances without a memory level: after a save has returned, no
    /// read on either instance returns an older value.
    /// </summary>
    [Property(MaxTest = 8, EndSize = 16)]
    public async Task Without_a_memory_level_no_read_after_a_save_returned_is_stale(byte[] operations)
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString, memory: false);
        var expected = await TotalAsync(a);
        foreach (var operation in operations)
        {
            var instance = (operation & 1) == 0 ? a : b;
            if ((operation & 2) == 0)
            {
                expected = await SaveTotalAsync(instance);
            }
            else
            {
                Assert.Equal(expected, await TotalAsync(instance));
            }
        }
    }

    /// <summary>
    /// The same with memory levels: the saving instance never reads an older value after its save returned; the other
    /// instance reads the new value once the backplane message arrives, and never a value older than the one before.
    /// </summary>
    [Property(MaxTest = 5, EndSize = 12)]
    public async Task With_memory_levels_the_saving_instance_is_never_stale_and_the_other_catches_up(byte[] operations)
    {
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString);
        await using var b = new CacheInstance(application, ConnectionString, TestServers.Redis.ConnectionString);
        await BackplaneReadyAsync(a, b);
        var expected = await TotalAsync(a);
        foreach (var operation in operations)
        {
            var (saver, other) = (operation & 1) == 0 ? (a, b) : (b, a);
            if ((operation & 2) == 0)
            {
                var previous = expected;
                expected = await SaveTotalAsync(saver);
                Assert.Equal(expected, await TotalAsync(saver));
                var seen = await TotalAsync(other);
                Assert.True(seen == expected || seen == previous, $"the other instance read {seen}, neither {expected} nor {previous}");
                await EventuallyAsync(async () => await TotalAsync(other) == expected);
            }
            else
            {
                Assert.Equal(expected, await TotalAsync(saver));
                Assert.Equal(expected, await TotalAsync(other));
            }
        }
    }

    private static Task<decimal> TotalAsync(CacheInstance instance) =>
        instance.WithContextAsync(async db => Assert.Single(await db.Orders.Where(o => o.Id == 2).ToCachedListAsync(db)).Total);

    private async Task<decimal> SaveTotalAsync(CacheInstance instance)
    {
        var total = Interlocked.Increment(ref _nextTotal);
        await instance.WithContextAsync(async db =>
        {
            (await db.Orders.SingleAsync(o => o.Id == 2)).Total = total;
            await db.SaveChangesAsync();
        });
        return total;
    }

    /// <summary>Waits until each instance hears the other's invalidations (its subscription is made when it starts).</summary>
    private static async Task BackplaneReadyAsync(CacheInstance a, CacheInstance b)
    {
        foreach (var (sender, receiver) in new[] { (a, b), (b, a) })
        {
            Task<int> ProbeAsync() => receiver.WithContextAsync(async db => (await db.Notes.Where(n => n.Id > 0).ToCachedListAsync(db)).Count);
            await ProbeAsync();
            var reads = receiver.Counter.Count;
            await EventuallyAsync(async () =>
            {
                await sender.Cache.InvalidateTablesAsync(["misc.notes"]);
                await ProbeAsync();
                return receiver.Counter.Count > reads;
            });
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(20);
        }
    }
}
