using System.IO.Hashing;
using System.Text;

namespace DataPatterns.Sharding;

/// <summary>
/// Rendezvous (highest random weight) hashing: every shard scores every key and the highest score wins. Adding a shard
/// moves only the keys the new shard now wins (about 1/(n + 1)); removing one moves only its own keys; shards are
/// identified by name, so any shard can be removed, not only the last. Weighted shards use the logarithmic method
/// (score = weight / -ln(u)). Costs one mix per shard per key, so it suits tens of shards, not thousands.
/// </summary>
public sealed class RendezvousAlgorithm : HashShardingAlgorithm
{
    private readonly ulong[] _seeds;
    private readonly double[]? _weights;

    /// <summary>Creates the algorithm over shards named <paramref name="shardNames"/>, with optional <paramref name="weights"/>.</summary>
    public RendezvousAlgorithm(IReadOnlyList<string> shardNames, IReadOnlyList<double>? weights = null)
        : base(shardNames?.Count ?? 0)
    {
        _seeds = new ulong[shardNames!.Count];
        for (var i = 0; i < _seeds.Length; i++)
        {
            // The seed comes from the name, so a shard keeps its keys whatever its position in the list.
            _seeds[i] = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(shardNames[i]));
        }

        if (weights is not null && weights.Any(w => w != weights[0]))
        {
            _weights = weights.ToArray();
        }
    }

    /// <inheritdoc />
    public override int GetShardIndex(ulong hash)
    {
        var seeds = _seeds;
        var best = 0;
        if (_weights is null)
        {
            var bestScore = StableKeyHash.Mix(hash ^ seeds[0]);
            for (var i = 1; i < seeds.Length; i++)
            {
                // Strictly greater: on a tie the earlier shard wins, the same in every process.
                var score = StableKeyHash.Mix(hash ^ seeds[i]);
                if (score > bestScore)
                {
                    bestScore = score;
                    best = i;
                }
            }

            return best;
        }

        var bestWeighted = double.NegativeInfinity;
        for (var i = 0; i < seeds.Length; i++)
        {
            // u in (0, 1]: the top 53 bits of the mix, never 0, so ln(u) is finite.
            var u = ((StableKeyHash.Mix(hash ^ seeds[i]) >> 11) + 1) * (1.0 / (1UL << 53));
            var score = _weights[i] / -Math.Log(u);
            if (score > bestWeighted)
            {
                bestWeighted = score;
                best = i;
            }
        }

        return best;
    }
}
