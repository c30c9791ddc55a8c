using DataPatterns.Caching;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;

namespace DataPatterns.Samples.Quickstart;

/// <summary>Products in MariaDB read through a memory + Redis cache and written through it into MariaDB.</summary>
internal static class MariaDbCachingQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        await using var db = new MySqlDataSource(Environment.GetEnvironmentVariable("DATAPATTERNS_MARIADB_PRIMARY") ?? "Server=127.0.0.1;Port=53306;User ID=root;Database=datapatterns");
        await db.CreateCommand("CREATE TABLE IF NOT EXISTS quickstart_products (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(10,2) NOT NULL); INSERT INTO quickstart_products VALUES (42, 'Coffee', 4.50) ON DUPLICATE KEY UPDATE price = 4.50").ExecuteNonQueryAsync();
        await using var app = new ServiceCollection().AddSingleton(db).AddCaching(caching => caching
                .Configure(o => o.ApplicationName = "quickstart-mariadb")
                .AddCache<int, Product>("products", o => o.WriteStrategy = CacheWriteStrategy.WriteThrough)
                .WithLoader<MariaDbProducts>()
                .WithWriter<MariaDbProducts>())
            .UseRedis(Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") ?? "127.0.0.1:56379").Services.BuildServiceProvider();
        var products = app.GetRequiredKeyedService<ICache<int, Product>>("products");
        await products.RemoveAsync(42); // start cold, also on a second run
        var reads = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => products.GetOrLoadAsync(42).AsTask()));
        // Write-through: MariaDB first, then memory and Redis.
        await products.SetAsync(42, reads[0]! with { Price = 5.00m });
        var inDatabase = (decimal)(await db.CreateCommand("SELECT price FROM quickstart_products WHERE id = 42").ExecuteScalarAsync())!;
        var cached = await products.GetOrLoadAsync(42);
        Console.WriteLine($"100 reads of {reads[0]}: {MariaDbProducts.Loads} load; after write-through: MariaDB {inDatabase}, cache {cached?.Price}");
        return MariaDbProducts.Loads == 1 && inDatabase == 5.00m && cached?.Price == 5.00m ? 0 : 1;
    }
}

internal sealed class MariaDbProducts(MySqlDataSource db) : ICacheLoader<int, Product>, ICacheWriter<int, Product>
{
    public static int Loads; // how often MariaDB was asked
    public async ValueTask<Product?> LoadAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Loads);
        await using var command = db.CreateCommand("SELECT name, price FROM quickstart_products WHERE id = @id");
        command.Parameters.Add(new MySqlParameter("@id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Product(id, reader.GetString(0), reader.GetDecimal(1)) : null;
    }
    public async ValueTask WriteAsync(int id, Product product, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE quickstart_products SET price = @price WHERE id = @id");
        command.Parameters.Add(new MySqlParameter("@id", id));
        command.Parameters.Add(new MySqlParameter("@price", product.Price));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
