using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

/// <summary>Products read through a memory (L1) + Redis (L2) cache: one load for many misses, write-through, invalidation.</summary>
internal static class CachingQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        await using var db = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres");
        await db.CreateCommand("CREATE TABLE IF NOT EXISTS quickstart_products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL); INSERT INTO quickstart_products VALUES (42, 'Coffee', 4.50) ON CONFLICT (id) DO UPDATE SET price = 4.50").ExecuteNonQueryAsync();
        ServiceProvider StartInstance() => new ServiceCollection().AddSingleton(db).AddCaching(caching => caching
                .Configure(o => o.ApplicationName = "quickstart")    // prefixes every Redis key and channel
                .AddCache<int, Product>("products", o => o.WriteStrategy = CacheWriteStrategy.WriteThrough)
                .WithLoader<ProductRepository>()                      // resolved from DI, in a scope of its own per call
                .WithWriter<ProductRepository>())
            .UseRedis(Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") ?? "127.0.0.1:56379").Services.BuildServiceProvider();
        await using var app = StartInstance();
        await using var otherInstance = StartInstance(); // a second application instance: its own memory, the same Redis
        var products = app.GetRequiredKeyedService<ICache<int, Product>>("products");
        await products.RemoveAsync(42); // start cold in both levels, also on a second run
        // 100 concurrent misses on one key share one load; the other instance then finds the value in Redis.
        var reads = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => products.GetOrLoadAsync(42).AsTask()));
        var fromRedis = await otherInstance.GetRequiredKeyedService<ICache<int, Product>>("products").GetOrLoadAsync(42);
        Console.WriteLine($"100 concurrent reads of {reads[0]}, then a read on another instance ({fromRedis?.Price}): {ProductRepository.Loads} load(s)");
        // Write-through: the database first, then both levels; other instances drop their memory copy (Redis pub/sub).
        await products.SetAsync(42, reads[0]! with { Price = 5.00m });
        var inDatabase = (decimal)(await db.CreateCommand("SELECT price FROM quickstart_products WHERE id = 42").ExecuteScalarAsync())!;
        var cached = await products.GetOrLoadAsync(42);
        Console.WriteLine($"write-through: database {inDatabase}, cache {cached?.Price}, loads {ProductRepository.Loads}");
        // Invalidation: gone from memory and Redis, so the next read loads it again.
        await products.RemoveAsync(42);
        Console.WriteLine($"after RemoveAsync: {await products.GetOrLoadAsync(42)}, loads {ProductRepository.Loads}");
        return ProductRepository.Loads == 2 && fromRedis == reads[0] && inDatabase == 5.00m && cached?.Price == 5.00m ? 0 : 1;
    }
}

internal sealed record Product(int Id, string Name, decimal Price);
internal sealed class ProductRepository(NpgsqlDataSource db) : ICacheLoader<int, Product>, ICacheWriter<int, Product>
{
    public static int Loads; // how often the database was asked
    public async ValueTask<Product?> LoadAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Loads);
        await using var command = db.CreateCommand("SELECT name, price FROM quickstart_products WHERE id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Product(id, reader.GetString(0), reader.GetDecimal(1)) : null;
    }
    public async ValueTask WriteAsync(int id, Product product, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE quickstart_products SET price = $2 WHERE id = $1");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(product.Price);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
