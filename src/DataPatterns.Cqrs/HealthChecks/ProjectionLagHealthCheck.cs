using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

/// <summary>
/// The projections this instance runs, as a health check: the failure status (Unhealthy unless registered otherwise)
/// when a projection stopped after a poison event; Degraded when a projection this instance leads is further behind
/// than <see cref="ProjectionHealthOptions"/> allows (it is still applying events: busy, not broken); Healthy otherwise.
/// Standby instances report healthy (another instance does the work). Register with
/// <c>services.AddHealthChecks().AddProjectionsCheck()</c>.
/// </summary>
public sealed class ProjectionLagHealthCheck : IHealthCheck
{
    private readonly IProjectionMonitor _monitor;
    private readonly ProjectionHealthOptions _options;

    /// <summary>Creates the check.</summary>
    /// <param name="monitor">The projections' state.</param>
    /// <param name="options">The thresholds.</param>
    public ProjectionLagHealthCheck(IProjectionMonitor monitor, IOptions<ProjectionHealthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(options);
        _monitor = monitor;
        _options = options.Value;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stopped = new List<string>();
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var status in _monitor.GetAll())
        {
            data[status.Name] = string.Create(CultureInfo.InvariantCulture, $"{status.Role}, generation {status.LiveGeneration}, {status.EventsBehind} events / {status.SecondsBehind:0.###} s behind");
            if (status.Role == ProjectionRole.Stopped)
            {
                stopped.Add($"projection '{status.Name}' stopped after a poison event ({status.LastError})");
            }
            else if (status.Role == ProjectionRole.Leader)
            {
                if (status.EventsBehind > _options.MaxEventsBehind)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"projection '{status.Name}' is {status.EventsBehind} events behind (limit {_options.MaxEventsBehind})"));
                }

                if (status.SecondsBehind > _options.MaxTimeBehind.TotalSeconds)
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"projection '{status.Name}' is {status.SecondsBehind:0.#} s behind (limit {_options.MaxTimeBehind.TotalSeconds:0.#} s)"));
                }
            }
        }

        if (stopped.Count > 0)
        {
            return Task.FromResult(new HealthCheckResult(context?.Registration?.FailureStatus ?? HealthStatus.Unhealthy,
                string.Join("; ", stopped.Concat(problems)), data: data));
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("Projections are within their lag limits.", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data));
    }
}
