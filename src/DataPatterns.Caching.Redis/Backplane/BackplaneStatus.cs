namespace DataPatterns.Caching.Redis;

/// <summary>The Redis backplane's subscription at one moment (for the backplane health check).</summary>
/// <param name="Caches">Memory levels subscribed to it.</param>
/// <param name="Subscribed">True once the first subscription succeeded.</param>
/// <param name="Connected">True while the subscription's connection is up.</param>
/// <param name="DisconnectedSince">When the subscription's connection failed, until it is restored; null while connected.</param>
/// <param name="LastResync">When the memory levels were last cleared after a reconnect; null if never.</param>
internal sealed record BackplaneStatus(int Caches, bool Subscribed, bool Connected, DateTimeOffset? DisconnectedSince, DateTimeOffset? LastResync);
