using DataPatterns.Sharding;
using Microsoft.Extensions.DependencyInjection;

// What a new user writes after reading the README: register, resolve, use.
var services = new ServiceCollection();
services.AddSharding(sharding => sharding
    .AddShardSet<long>("orders", options => options.AddShard("orders-1").AddShard("orders-2").AddShard("orders-3"))
    .MapTo((_, shard) => $"Host=db-{shard.Name}"));

await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
var resolver = provider.GetRequiredKeyedService<ShardResolver<long>>("orders");
var targets = provider.GetRequiredKeyedService<ShardMap<string>>("orders");
var shard = resolver.Resolve(42L);
if (targets[shard] != $"Host=db-{shard.Name}" || resolver.Resolve(42L) != shard)
{
    Console.Error.WriteLine("consumer: sharding did not resolve consistently");
    return 1;
}

Console.WriteLine($"consumer: sharding resolved customer 42 to {shard.Name} ({targets[shard]})");
return 0;
