using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs;

/// <summary>Checks <see cref="ProjectionHealthOptions"/> at start-up.</summary>
internal sealed class ProjectionHealthOptionsValidator : IValidateOptions<ProjectionHealthOptions>
{
    public ValidateOptionsResult Validate(string? name, ProjectionHealthOptions options) =>
        options.MaxEventsBehind < 0 || options.MaxTimeBehind <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail($"ProjectionHealthOptions: MaxEventsBehind ({options.MaxEventsBehind}) must be zero or more and MaxTimeBehind ({options.MaxTimeBehind}) positive; fix them in AddCqrs(cqrs => cqrs.ConfigureHealth(...)).")
            : ValidateOptionsResult.Success;
}
