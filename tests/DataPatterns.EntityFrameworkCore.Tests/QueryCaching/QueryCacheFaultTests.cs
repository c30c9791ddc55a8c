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
}
