namespace DataPatterns.Caching.Redis.Tests;

/// <summary>
/// The tests that start Redis servers of their own (single, replicated, cluster) run one after another: started all at
/// once on the two shared cores, a server could miss its start-up deadline.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PrivateServers
{
    public const string Name = "private Redis servers";
}
