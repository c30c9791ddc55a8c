namespace DataPatterns.Transactions;

/// <summary>One prepared branch of an in-doubt transaction.</summary>
/// <param name="ResourceName">The resource (database) that holds it.</param>
/// <param name="GlobalId">Its global id.</param>
/// <param name="PreparedAt">When the resource prepared it (the resource's clock).</param>
public sealed record InDoubtParticipant(string ResourceName, string GlobalId, DateTimeOffset PreparedAt);
