namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>One pool the Shop opens on a server, and its maximum size.</summary>
/// <param name="Name">What the pool is for ("routing", "payments"...).</param>
/// <param name="Size">Its Maximum Pool Size.</param>
public sealed record PoolSize(string Name, int Size);

/// <summary>What one server allows and how the Shop's pools on it are sized.</summary>
/// <param name="Server">The server's roles (primary, replica, node2, node3; "primary+node2" when two share a server).</param>
/// <param name="MaxConnections">The server's <c>max_connections</c>, as it answered, or the assumed value.</param>
/// <param name="Asked">True when the server answered <c>SHOW max_connections</c> at start.</param>
/// <param name="Reserved">Connections left to other clients.</param>
/// <param name="Instances">Shop instances sharing the server.</param>
/// <param name="Pools">This instance's pools on the server.</param>
public sealed record ServerBudget(string Server, int MaxConnections, bool Asked, int Reserved, int Instances, IReadOnlyList<PoolSize> Pools)
{
    /// <summary>The connections every Shop instance together may hold: max_connections − reserved.</summary>
    public int ClusterBudget => Math.Max(0, MaxConnections - Reserved);

    /// <summary>The most connections this instance's pools can open on the server.</summary>
    public int PerInstance => Pools.Sum(p => p.Size);

    /// <summary>The most connections all instances' pools can open on the server.</summary>
    public int ClusterTotal => Instances * PerInstance;

    /// <summary>True when the pools can open more connections than the budget: the server may answer "too many clients".</summary>
    public bool Exceeds => ClusterTotal > ClusterBudget;

    /// <summary>The size of the pool named <paramref name="name"/>.</summary>
    public int SizeOf(string name) => Pools.First(p => p.Name == name).Size;
}
