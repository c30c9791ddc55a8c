namespace DataPatterns.Routing;

/// <summary>Picks one node among eligible candidates; allocation-free (candidates are indexes into the router's node array).</summary>
internal abstract class NodeSelector
{
    public abstract int Pick(ReadOnlySpan<int> candidates, RoutingNode[] nodes);

    public static NodeSelector Create(NodeSelectionPolicy policy, Random random) => policy switch
    {
        NodeSelectionPolicy.RoundRobin => new RoundRobinSelector(),
        NodeSelectionPolicy.Random => new RandomSelector(random),
        NodeSelectionPolicy.LeastOutstanding => new LeastOutstandingSelector(),
        NodeSelectionPolicy.Weighted => new WeightedSelector(random),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Use RoundRobin, Random, LeastOutstanding or Weighted."),
    };

    private sealed class RoundRobinSelector : NodeSelector
    {
        private uint _next;

        public override int Pick(ReadOnlySpan<int> candidates, RoutingNode[] nodes)
        {
            var turn = Interlocked.Increment(ref _next) - 1;
            return candidates[(int)(turn % (uint)candidates.Length)];
        }
    }

    private sealed class RandomSelector(Random random) : NodeSelector
    {
        public override int Pick(ReadOnlySpan<int> candidates, RoutingNode[] nodes) => candidates[random.Next(candidates.Length)];
    }

    private sealed class LeastOutstandingSelector : NodeSelector
    {
        private uint _next;

        public override int Pick(ReadOnlySpan<int> candidates, RoutingNode[] nodes)
        {
            // Start the scan at a rotating offset so ties are shared in turn rather than all landing on the first node.
            var start = (int)((Interlocked.Increment(ref _next) - 1) % (uint)candidates.Length);
            var best = candidates[start];
            var bestCount = nodes[best].Outstanding;
            for (var step = 1; step < candidates.Length; step++)
            {
                var candidate = candidates[(start + step) % candidates.Length];
                var count = nodes[candidate].Outstanding;
                if (count < bestCount)
                {
                    best = candidate;
                    bestCount = count;
                }
            }

            return best;
        }
    }

    private sealed class WeightedSelector(Random random) : NodeSelector
    {
        public override int Pick(ReadOnlySpan<int> candidates, RoutingNode[] nodes)
        {
            long total = 0;
            foreach (var candidate in candidates)
            {
                total += nodes[candidate].Weight;
            }

            var ticket = random.NextInt64(total);
            foreach (var candidate in candidates)
            {
                ticket -= nodes[candidate].Weight;
                if (ticket < 0)
                {
                    return candidate;
                }
            }

            return candidates[^1];
        }
    }
}
