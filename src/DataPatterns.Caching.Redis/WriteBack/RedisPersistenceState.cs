using System.Globalization;
using StackExchange.Redis;

namespace DataPatterns.Caching.Redis;

/// <summary>What one Redis master reports about keeping its writes across a restart, and the risk that follows.</summary>
internal sealed record RedisPersistenceState(string Endpoint, Version Version, bool AppendOnly, string? FsyncPolicy, bool? Snapshots, int ConnectedReplicas)
{
    /// <summary>
    /// Null when every acknowledged write survives a restart of this server (appendonly yes, appendfsync always);
    /// otherwise a sentence naming the setting and what a restart would lose.
    /// </summary>
    public string? Risk => (AppendOnly, FsyncPolicy) switch
    {
        (false, _) when Snapshots is true =>
            $"Redis {Endpoint} runs without an append-only file (appendonly no; only RDB snapshots): a restart loses every durable write-back entry queued since the last snapshot.",
        (false, _) when Snapshots is false =>
            $"Redis {Endpoint} persists nothing (appendonly no, save \"\"): a restart loses every durable write-back entry still queued.",
        (false, _) =>
            $"Redis {Endpoint} runs without an append-only file (appendonly no): a restart loses every durable write-back entry queued since its last RDB snapshot, if it takes any.",
        (true, "always") => null,
        (true, "everysec") =>
            $"Redis {Endpoint} syncs its append-only file once a second (appendfsync everysec): a crash of its machine loses up to about a second of acknowledged write-back entries (a crash of the process alone usually loses none).",
        (true, "no") =>
            $"Redis {Endpoint} leaves syncing its append-only file to the operating system (appendfsync no): a crash of its machine loses the acknowledged write-back entries of the last several seconds.",
        _ =>
            $"Redis {Endpoint} has an append-only file but does not say how often it is synced (CONFIG GET appendfsync is not allowed): unless it is appendfsync always, a crash of its machine loses up to about a second of acknowledged write-back entries.",
    };

    public static async Task<RedisPersistenceState> ReadAsync(IServer server)
    {
        // INFO through a script: StackExchange.Redis allows INFO itself only in admin mode, which the application's own
        // multiplexer need not have. CONFIG GET needs admin mode (and is often disabled on managed services): unknown then.
        var persistence = await InfoAsync(server, "persistence").ConfigureAwait(false);
        var replication = await InfoAsync(server, "replication").ConfigureAwait(false);
        var appendOnly = persistence.GetValueOrDefault("aof_enabled") == "1";
        var fsync = appendOnly ? await ConfigAsync(server, "appendfsync").ConfigureAwait(false) : null;
        var save = appendOnly ? null : await ConfigAsync(server, "save").ConfigureAwait(false);
        bool? snapshots = save is null ? null : save.Trim().Length > 0;
        var replicas = int.TryParse(replication.GetValueOrDefault("connected_slaves"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
        return new RedisPersistenceState(server.EndPoint.ToString() ?? "?", server.Version, appendOnly, fsync, snapshots, replicas);
    }

    /// <summary>A setting by CONFIG GET, or null where CONFIG is disabled or renamed (managed services): then it stays unknown.</summary>
    private static async Task<string?> ConfigAsync(IServer server, string name)
    {
        try
        {
            var reply = await server.ExecuteAsync("CONFIG", "GET", name).ConfigureAwait(false);
            var pairs = (RedisResult[])reply!;
            return pairs.Length >= 2 ? (string?)pairs[1] : null;
        }
        catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
        {
            return null;
        }
    }

    private static async Task<Dictionary<string, string>> InfoAsync(IServer server, string section)
    {
        var text = (string?)await server.ExecuteAsync("EVAL", "return redis.call('INFO', ARGV[1])", 0, section).ConfigureAwait(false) ?? "";
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line.StartsWith('#'))
            {
                fields.TryAdd(line[..colon], line[(colon + 1)..].TrimEnd('\r'));
            }
        }

        return fields;
    }
}
