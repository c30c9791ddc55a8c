using DataPatterns.Samples.Quickstart;

// One small program per pattern (docs/quickstart.md shows each file); pick it by name.
var patterns = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["sharding"] = ShardingQuickstart.RunAsync,
    ["caching"] = CachingQuickstart.RunAsync,
    ["routing"] = RoutingQuickstart.RunAsync,
    ["transactions"] = TransactionsQuickstart.RunAsync,
    ["cqrs"] = CqrsQuickstart.RunAsync,
    ["efcore"] = EfCoreQuickstart.RunAsync,
    ["mariadb-sharding"] = MariaDbShardingQuickstart.RunAsync,
    ["mariadb-caching"] = MariaDbCachingQuickstart.RunAsync,
};

if (args.Length == 0 || !patterns.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: dotnet run --project samples/Quickstart -- <{string.Join("|", patterns.Keys)}>");
    return 2;
}

return await run(args[1..]);
