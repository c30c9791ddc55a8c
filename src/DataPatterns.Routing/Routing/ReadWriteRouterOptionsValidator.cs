using Microsoft.Extensions.Options;

namespace DataPatterns.Routing;

/// <summary>Checks a router's settings at start-up, with messages that name the setting and the fix.</summary>
internal sealed class ReadWriteRouterOptionsValidator : IValidateOptions<ReadWriteRouterOptions>
{
    public ValidateOptionsResult Validate(string? name, ReadWriteRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Collect(string.IsNullOrEmpty(name) ? "(default)" : name, options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static List<string> Collect(string router, ReadWriteRouterOptions options)
    {
        var failures = new List<string>();
        var prefix = $"ReadWriteSplitting '{router}':";
        if (options.Nodes.Count == 0)
        {
            failures.Add($"{prefix} Nodes is empty; add the primary and its replicas with options.AddNode(name, connectionString).");
        }

        if (options.Probe is null)
        {
            failures.Add($"{prefix} Probe is not set; call UseNpgsql() on the builder (or set options.Probe to your database's IRoutingProbe).");
        }

        CollectNodes(failures, prefix, options);
        CollectProbing(failures, prefix, options);
        ValidateConcurrency(failures, prefix, options.AdaptiveConcurrency);
        CollectConsistency(failures, prefix, options);
        CollectPolicies(failures, prefix, options);
        return failures;
    }

    private static void CollectNodes(List<string> failures, string prefix, ReadWriteRouterOptions options)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Nodes.Count; i++)
        {
            var node = options.Nodes[i];
            if (node is null)
            {
                failures.Add($"{prefix} Nodes[{i}] is null; remove it.");
                continue;
            }

            CollectNode(failures, prefix, options, node, i, names);
        }

        if (options.Nodes.Count > 0 && options.Nodes.All(n => n is not null && n.ExpectedRole == NodeRole.Replica))
        {
            failures.Add($"{prefix} every node is declared Replica, so no node can take writes; declare the primary with NodeRole.Primary, or leave its role as Any so probing finds it.");
        }
    }

    private static void CollectNode(List<string> failures, string prefix, ReadWriteRouterOptions options, RoutingNodeOptions node, int i, HashSet<string> names)
    {
        var label = string.IsNullOrWhiteSpace(node.Name) ? $"Nodes[{i}]" : $"node '{node.Name}'";
        if (string.IsNullOrWhiteSpace(node.Name))
        {
            failures.Add($"{prefix} Nodes[{i}] has no Name; give every node a unique name.");
        }
        else if (!names.Add(node.Name))
        {
            failures.Add($"{prefix} node name '{node.Name}' appears more than once; give every node a unique name.");
        }

        if (node.DataSource is null && string.IsNullOrWhiteSpace(node.ConnectionString))
        {
            failures.Add($"{prefix} {label} has neither ConnectionString nor DataSource; set one of them.");
        }
        else if (node.DataSource is not null && !string.IsNullOrWhiteSpace(node.ConnectionString))
        {
            failures.Add($"{prefix} {label} has both ConnectionString and DataSource; set only one.");
        }
        else if (node.DataSource is null && options.ProviderFactory is null)
        {
            failures.Add($"{prefix} {label} is given by connection string but ProviderFactory is not set; call UseNpgsql() on the builder.");
        }

        if (node.Weight <= 0)
        {
            failures.Add($"{prefix} {label} has Weight {node.Weight}; a weight must be 1 or more.");
        }

        if (!Enum.IsDefined(node.ExpectedRole))
        {
            failures.Add($"{prefix} {label} has ExpectedRole {(int)node.ExpectedRole}, which is not a NodeRole; use Any, Primary or Replica.");
        }
    }

    private static void CollectProbing(List<string> failures, string prefix, ReadWriteRouterOptions options)
    {
        Positive(failures, prefix, nameof(options.ProbeInterval), options.ProbeInterval);
        Positive(failures, prefix, nameof(options.ProbeTimeout), options.ProbeTimeout);
        if (options.EjectionCooldown < TimeSpan.Zero)
        {
            failures.Add($"{prefix} EjectionCooldown is {options.EjectionCooldown}; use zero or a positive time.");
        }

        if (options.MaxEjectionPercent is < 0 or > 100)
        {
            failures.Add($"{prefix} MaxEjectionPercent is {options.MaxEjectionPercent}; use a percentage from 0 to 100 (50 lets half the nodes be ejected for timeouts, 100 lifts the cap).");
        }

        if (options.PanicThresholdPercent is < 0 or > 100)
        {
            failures.Add($"{prefix} PanicThresholdPercent is {options.PanicThresholdPercent}; use a percentage from 0 (panic mode off) to 100.");
        }

        if (options.OverloadRetryAfter < TimeSpan.Zero)
        {
            failures.Add($"{prefix} OverloadRetryAfter is {options.OverloadRetryAfter}; use zero or a positive time.");
        }
    }

    private static void CollectConsistency(List<string> failures, string prefix, ReadWriteRouterOptions options)
    {
        if (options.MaxReplicaLag is { } lag && lag <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} MaxReplicaLag is {lag}; use a positive time, or null for no staleness bound.");
        }

        if (options.ReadYourWritesWait < TimeSpan.Zero)
        {
            failures.Add($"{prefix} ReadYourWritesWait is {options.ReadYourWritesWait}; use zero (never wait) or a positive time.");
        }

        if (options.ReadYourWritesPollInterval <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} ReadYourWritesPollInterval is {options.ReadYourWritesPollInterval}; use a positive time (default 2 ms) between two questions to a replica for its replay position.");
        }
    }

    private static void CollectPolicies(List<string> failures, string prefix, ReadWriteRouterOptions options)
    {
        if (!Enum.IsDefined(options.ReplicaPolicy))
        {
            failures.Add($"{prefix} ReplicaPolicy {(int)options.ReplicaPolicy} is not a NodeSelectionPolicy; use RoundRobin, Random, LeastOutstanding or Weighted.");
        }

        if (!Enum.IsDefined(options.PrimaryPolicy))
        {
            failures.Add($"{prefix} PrimaryPolicy {(int)options.PrimaryPolicy} is not a NodeSelectionPolicy; use RoundRobin, Random, LeastOutstanding or Weighted.");
        }

        if (!Enum.IsDefined(options.WhenNoReplica))
        {
            failures.Add($"{prefix} WhenNoReplica {(int)options.WhenNoReplica} is not a NoReplicaBehavior; use FallBackToPrimary or Fail.");
        }
    }

    internal static void ValidateConcurrency(List<string> failures, string prefix, AdaptiveConcurrencyOptions? limit)
    {
        if (limit is null)
        {
            failures.Add($"{prefix} AdaptiveConcurrency is null; leave the default (off) or set Enabled = true on it.");
            return;
        }

        if (!limit.Enabled)
        {
            return;
        }

        var where = $"{prefix} AdaptiveConcurrency";
        if (limit.MinLimit < 1 || limit.MaxLimit < limit.MinLimit || limit.InitialLimit < limit.MinLimit || limit.InitialLimit > limit.MaxLimit)
        {
            failures.Add($"{where} limits are Min {limit.MinLimit}, Initial {limit.InitialLimit}, Max {limit.MaxLimit}; use 1 <= MinLimit <= InitialLimit <= MaxLimit.");
        }

        if (limit.MaxQueue < 0 || limit.MaxQueueWait < TimeSpan.Zero)
        {
            failures.Add($"{where} MaxQueue {limit.MaxQueue} / MaxQueueWait {limit.MaxQueueWait}; use zero (no waiting) or more for both.");
        }

        if (limit.QueueAllowance is < 0 or > 1 || limit.Smoothing is <= 0 or > 1 || double.IsNaN(limit.QueueAllowance) || double.IsNaN(limit.Smoothing))
        {
            failures.Add($"{where} QueueAllowance {limit.QueueAllowance} / Smoothing {limit.Smoothing}; use 0 to 1 for QueueAllowance and more than 0 up to 1 for Smoothing.");
        }

        if (limit.BaselineWindow < 1)
        {
            failures.Add($"{where} BaselineWindow is {limit.BaselineWindow}; use 1 or more completions.");
        }
    }

    private static void Positive(List<string> failures, string prefix, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{prefix} {setting} is {value}; use a positive time.");
        }
    }
}
