namespace DataPatterns.Routing;

/// <summary>Why a read went to the primary (the <c>datapatterns.routing.reason</c> tag of the fallback counter).</summary>
internal static class FallbackReasons
{
    public const string NoReplica = "no_replica";
    public const string ReadYourWrites = "read_your_writes";
    public const string Transaction = "transaction";
}
