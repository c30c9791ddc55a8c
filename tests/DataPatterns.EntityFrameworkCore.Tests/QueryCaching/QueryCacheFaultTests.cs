using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>Redis down (a private server, killed): the database still answers and saves still succeed.</summary>
public sealed class QueryCacheFaultTests
{
    [Fact]
    public async Task With_Redis_down_queries_are_answered_by_the_database_and_saves_succeed_and_invalidate_locally()
    {
        await using var database = await ShopDatabase.CreateAsync("qcache_fault");
        await using var redis = await PrivateRedis.StartNewAsync();
        await using var instance = new CacheInstance(CacheInstance.NewApplication(), database.ConnectionString, redis.ConnectionString);
        Assert.Single(await instance.OrdersOfAsync(1)); // cached in memory and Redis

        await redis.KillAsync();

        Assert.Single(await instance.OrdersOfAsync(1)); // the memory level still answers
        await instance.WithContextAsync(async db =>
        {
            db.Orders.Add(new Order { Id = 200, CustomerId = 1, Total = 2m });
            Assert.Equal(1, await db.SaveChangesAsync()); // the invalidation cannot reach Redis: the save still succeeds
        });
        Assert.Equal([1, 200], (await instance.OrdersOfAsync(1)).Select(o => o.Id)); // this instance dropped its copy
        Assert.Single(await instance.WithContextAsync(db => db.Orders.Where(o => o.Id == 200).ToCachedListAsync(db).AsTask())); // a miss: loaded from the database
    }

    /// <summary>
    /// A save while Redis is down (with persistence, so the old entry survives the restart): the saving instance is
    /// fresh at once; the other keeps its memory copy while no message can reach it, and both read the new rows once
    /// Redis is back (the other clears its memory on the backplane's reconnect; the saver rewrites the tag marker).
    /// </summary>
    [Fact]
    public async Task An_invalidation_that_cannot_reach_Redis_is_repaired_when_Redis_returns()
    {
        await using var database = await ShopDatabase.CreateAsync("qcache_fault2");
        await using var redis = await PrivateRedis.StartNewAsync(["--appendonly", "yes", "--appendfsync", "always"]);
        var application = CacheInstance.NewApplication();
        await using var a = new CacheInstance(application, database.ConnectionString, redis.ConnectionString);
        await using var b = new CacheInstance(application, database.ConnectionString, redis.ConnectionString);
        Assert.Single(await a.OrdersOfAsync(1));
        Assert.Single(await b.OrdersOfAsync(1)); // b: memory copy; Redis: the entry

        await redis.KillAsync();
        await a.WithContextAsync(async db =>
        {
            db.Orders.Add(new Order { Id = 201, CustomerId = 1, Total = 2m });
            await db.SaveChangesAsync();
        });
        Assert.Equal(2, (await a.OrdersOfAsync(1)).Count);
        Assert.Single(await b.OrdersOfAsync(1)); // the bound while Redis is down: b cannot hear of it, its memory copy stands

        await redis.StartAsync();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await b.OrdersOfAsync(1)).Count != 2 || (await a.OrdersOfAsync(1)).Count != 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the instances did not read the new rows within 30 s of Redis returning");
            await Task.Delay(50);
        }
    }
}
