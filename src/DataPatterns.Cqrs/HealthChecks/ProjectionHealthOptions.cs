using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

/// <summary>When the projection health check turns unhealthy.</summary>
public sealed class ProjectionHealthOptions
{
    /// <summary>Unhealthy when a led projection is more than this many events behind. Default 10,000.</summary>
    public long MaxEventsBehind { get; set; } = 10_000;

    /// <summary>Unhealthy when a led projection's oldest unapplied event is older than this. Default 30 s.</summary>
    public TimeSpan MaxTimeBehind { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="ProjectionHealthOptions"/> at start-up.</summary>
internal sealed class ProjectionHealthOptionsValidator : IValidateOptions<ProjectionHealthOptions>
{
    public ValidateOptionsResult Validate(string? name, ProjectionHealthOptions options) =>
        options.MaxEventsBehind < 0 || options.MaxTimeBehind <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail($"ProjectionHealthOptions: MaxEventsBehind ({options.MaxEventsBehind}) must be zero or more and MaxTimeBehind ({options.MaxTimeBehind}) positive; fix them in AddCqrs(cqrs => cqrs.ConfigureHealth(...)).")
            : ValidateOptionsResult.Success;
}
