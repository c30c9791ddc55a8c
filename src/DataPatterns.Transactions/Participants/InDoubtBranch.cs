namespace DataPatterns.Transactions;

/// <summary>A prepared branch found on a resource, waiting for its outcome.</summary>
/// <param name="GlobalId">The branch's global id (<c>prefix:node:txid:branch</c>).</param>
/// <param name="PreparedAt">When the resource prepared it (the resource's clock).</param>
public sealed record InDoubtBranch(string GlobalId, DateTimeOffset PreparedAt);
