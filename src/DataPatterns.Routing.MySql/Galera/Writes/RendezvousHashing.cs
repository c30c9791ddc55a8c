using System.IO.Hashing;
using System.Text;

namespace DataPatterns.Routing.MySql.Galera;

/// <summary>
/// Rendezvous (highest random weight) hashing of a key over node names: every node scores the key, the highest score
/// wins. The score depends only on the key's and the node's bytes (XxHash3 with a fixed seed per node name, never
/// <see cref="object.GetHashCode"/>), so every process picks the same node for a key, whatever the order of its node
/// list; when a node leaves, only the keys it won move (each to its runner-up), and they come back when it returns.
/// </summary>
internal static class RendezvousHashing
{
    private const int StackKeyBytes = 256;

    /// <summary>The per-node seed: the hash of the node's name.</summary>
    public static long SeedOf(string nodeName) => (long)XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(nodeName));

    /// <summary>The score of a key for a node.</summary>
    public static ulong Score(ReadOnlySpan<byte> key, long nodeSeed) => XxHash3.HashToUInt64(key, nodeSeed);

    /// <summary>
    /// Orders <paramref name="candidates"/> (indexes into <paramref name="seeds"/> and <paramref name="names"/>) by
    /// descending score for <paramref name="key"/>, ties by ordinal name; the first is the key's node, the rest the
    /// order to fall back in.
    /// </summary>
    public static void Rank(string key, IReadOnlyList<long> seeds, IReadOnlyList<string> names, Span<int> candidates)
    {
        var byteCount = Encoding.UTF8.GetByteCount(key);
        Span<byte> bytes = byteCount <= StackKeyBytes ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(key, bytes);
        Span<ulong> scores = candidates.Length <= 64 ? stackalloc ulong[candidates.Length] : new ulong[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            scores[i] = Score(bytes, seeds[candidates[i]]);
        }

        // Insertion sort: a cluster has a handful of nodes.
        for (var i = 1; i < candidates.Length; i++)
        {
            var candidate = candidates[i];
            var score = scores[i];
            var j = i - 1;
            while (j >= 0 && Before(score, names[candidate], scores[j], names[candidates[j]]))
            {
                candidates[j + 1] = candidates[j];
                scores[j + 1] = scores[j];
                j--;
            }

            candidates[j + 1] = candidate;
            scores[j + 1] = score;
        }
    }

    /// <summary>The winning node's name for a key among <paramref name="nodeNames"/> (null when there is none).</summary>
    public static string? Pick(string key, IReadOnlyList<string> nodeNames)
    {
        if (nodeNames.Count == 0)
        {
            return null;
        }

        var seeds = nodeNames.Select(SeedOf).ToArray();
        Span<int> order = stackalloc int[nodeNames.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Rank(key, seeds, nodeNames, order);
        return nodeNames[order[0]];
    }

    private static bool Before(ulong score, string name, ulong otherScore, string otherName) =>
        score > otherScore || (score == otherScore && string.CompareOrdinal(name, otherName) < 0);
}
