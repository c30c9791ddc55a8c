using System.Globalization;
using DataPatterns.Caching.Memcached.Distribution;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Memcached;

internal sealed class MemcachedCachingOptionsValidator : IValidateOptions<MemcachedCachingOptions>
{
    public ValidateOptionsResult Validate(string? name, MemcachedCachingOptions options)
    {
        var failures = new List<string>();
        if (options.Servers is null || options.Servers.Count == 0)
        {
            failures.Add("Memcached caching: set Servers (e.g. [\"127.0.0.1:11211\"]) in UseMemcached(...).");
        }
        else
        {
            foreach (var server in options.Servers)
            {
                if (!ServerEndpoint.TryParse(server, out _))
                {
                    failures.Add($"Memcached caching: Servers holds '{server}', which is not \"host:port\" with a port from 1 to 65535; write it like \"127.0.0.1:11211\".");
                }
            }

            var duplicates = options.Servers.GroupBy(s => s?.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0)
            {
                failures.Add($"Memcached caching: Servers lists {string.Join(", ", duplicates)} more than once; list each server once (a weight per server is not supported).");
            }
        }

        if (options.ConnectionsPerServer is < 1 or > 64)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Memcached caching: ConnectionsPerServer must be between 1 and 64 (it is {options.ConnectionsPerServer}); each connection pipelines many requests, so 2 to 4 are usually enough."));
        }

        if (options.CommandTimeout < TimeSpan.FromMilliseconds(10) || options.CommandTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Memcached caching: CommandTimeout must be between 10 ms and 10 minutes (it is {options.CommandTimeout}).");
        }

        if (options.MaxItemSize is < 1024 or > 1024 * 1024 * 1024)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Memcached caching: MaxItemSize must be between 1 KB and 1 GB (it is {options.MaxItemSize}); set it to the servers' -I (1 MB by default)."));
        }

        if (options.MaxPendingPerConnection < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Memcached caching: MaxPendingPerConnection must be at least 1 (it is {options.MaxPendingPerConnection})."));
        }

        if (options.FailuresBeforeDown < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Memcached caching: FailuresBeforeDown must be at least 1 (it is {options.FailuresBeforeDown})."));
        }

        if (options.RetryDownServerAfter <= TimeSpan.Zero)
        {
            failures.Add($"Memcached caching: RetryDownServerAfter must be positive (it is {options.RetryDownServerAfter}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
