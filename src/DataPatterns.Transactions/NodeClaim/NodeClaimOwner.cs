using System.Collections.Concurrent;

namespace DataPatterns.Transactions;

/// <summary>
/// The sessions through which one coordinator holds its node claims. One database can be reached under two spellings
/// (<c>localhost</c> and <c>127.0.0.1</c>, say), so two claims of one coordinator may meet on it; a claim refused by a
/// session listed here is this coordinator's own, not another's.
/// </summary>
public sealed class NodeClaimOwner
{
    private readonly ConcurrentDictionary<string, byte> _sessions = new(StringComparer.Ordinal);

    /// <summary>Records a session (e.g. a server's backend pid and start time) that holds one of this owner's claims.</summary>
    /// <param name="session">The session's identity, unique across the servers involved.</param>
    public void Add(string session) => _sessions.TryAdd(session, 0);

    /// <summary>Forgets a session whose claim was given up or lost.</summary>
    /// <param name="session">The session's identity as given to <see cref="Add"/>.</param>
    public void Remove(string session) => _sessions.TryRemove(session, out _);

    /// <summary>Whether <paramref name="session"/> holds one of this owner's claims.</summary>
    /// <param name="session">The session's identity.</param>
    /// <returns>True when the session is this owner's.</returns>
    public bool Holds(string session) => _sessions.ContainsKey(session);
}
