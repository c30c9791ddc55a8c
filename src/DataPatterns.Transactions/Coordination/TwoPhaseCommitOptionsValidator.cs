using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions;

/// <summary>
/// Checks <see cref="TwoPhaseCommitOptions"/> at start-up with messages that name the setting and the fix. Registered by
/// <c>AddTwoPhaseCommit</c>, it also refuses the default <see cref="TwoPhaseCommitOptions.NodeId"/> outside Development.
/// </summary>
/// <remarks>
/// The environment is the host's (<see cref="IHostEnvironment"/>) when one is registered; without a host it is read the
/// way the host would read it (<c>DOTNET_ENVIRONMENT</c>, then <c>ASPNETCORE_ENVIRONMENT</c>), and when neither is set it
/// is Production, the host's own default. A console app without a host therefore either sets a node id (which any
/// deployment of more than one instance needs anyway) or says it is in Development. Guessing Development instead would
/// let the one dangerous default through exactly where nobody configured anything.
/// </remarks>
internal sealed class TwoPhaseCommitOptionsValidator : IValidateOptions<TwoPhaseCommitOptions>
{
    private readonly IHostEnvironment? _environment;

    public TwoPhaseCommitOptionsValidator(IHostEnvironment? environment = null) => _environment = environment;

    public ValidateOptionsResult Validate(string? name, TwoPhaseCommitOptions options)
    {
        var failures = Check(options);
        var environment = EnvironmentName(_environment);
        if (!options.StatelessCommit && options.NodeId == TwoPhaseCommitOptions.DefaultNodeId && !string.Equals(environment, Environments.Development, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"TwoPhaseCommitOptions.NodeId is the default '{TwoPhaseCommitOptions.DefaultNodeId}', which is accepted only in the Development environment (this one is '{environment}'): two coordinators left at the default on the same databases would each take the other's prepared branches for their own and roll back branches the other committed. Set NodeId to a name unique to this instance and stable across its restarts (a StatefulSet ordinal, a host name), e.g. in configuration or AddTwoPhaseCommit(o => o.NodeId = \"orders-api-1\").");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The host's environment, or the one a host would pick from the environment variables (Production when unset).</summary>
    internal static string EnvironmentName(IHostEnvironment? environment) =>
        environment?.EnvironmentName is { Length: > 0 } name ? name
        : Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? dotnet
        : Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspnet ? aspnet
        : Environments.Production;

    internal static List<string> Check(TwoPhaseCommitOptions options)
    {
        var failures = new List<string>();
        if (!GlobalTransactionId.IsValidPart(options.Prefix))
        {
            failures.Add($"TwoPhaseCommitOptions.Prefix '{options.Prefix}' is invalid: use 1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - . (it becomes part of every global id).");
        }

        if (!GlobalTransactionId.IsValidPart(options.NodeId))
        {
            failures.Add($"TwoPhaseCommitOptions.NodeId '{options.NodeId}' is invalid: use 1 to {GlobalTransactionId.MaxPartLength} of A-Z a-z 0-9 _ - ., stable across restarts and unique per coordinator instance.");
        }

        if (options.TransactionTimeout <= TimeSpan.Zero)
        {
            failures.Add($"TwoPhaseCommitOptions.TransactionTimeout is {options.TransactionTimeout}; set it above zero (e.g. 30 s).");
        }

        if (options.RecoveryInterval <= TimeSpan.Zero)
        {
            failures.Add($"TwoPhaseCommitOptions.RecoveryInterval is {options.RecoveryInterval}; set it above zero (e.g. 30 s).");
        }

        if (options.RecoveryGracePeriod < TimeSpan.Zero)
        {
            failures.Add($"TwoPhaseCommitOptions.RecoveryGracePeriod is {options.RecoveryGracePeriod}; set it to zero or more (longer than the slowest prepare).");
        }

        if (options.RetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.RetryDelay)
        {
            failures.Add("TwoPhaseCommitOptions.RetryDelay must be above zero and MaxRetryDelay at least as long.");
        }

        if (options.StatelessCommit && options.LastResourceCommit)
        {
            failures.Add("TwoPhaseCommitOptions.StatelessCommit and LastResourceCommit are both on: they are two different commit modes (stateless commit keeps no decision record for a last resource to carry). Turn one of them off.");
        }

        if (options.StatelessCommit && options.TakeOverDeadNodes)
        {
            failures.Add("TwoPhaseCommitOptions.TakeOverDeadNodes is on with StatelessCommit, which has no nodes to take over: every instance's recovery settles every transaction already. Turn TakeOverDeadNodes off.");
        }

        if (options.FenceRetention < (4 * options.TransactionTimeout) || options.FenceRetention < TimeSpan.FromMinutes(10))
        {
            failures.Add($"TwoPhaseCommitOptions.FenceRetention is {options.FenceRetention}; set it to at least 10 minutes and 4 × TransactionTimeout ({4 * options.TransactionTimeout}): a fence deleted while the fenced branch's session is still alive would let that branch prepare after its transaction aborted.");
        }

        if (string.IsNullOrWhiteSpace(options.DecisionLogPath))
        {
            failures.Add("TwoPhaseCommitOptions.DecisionLogPath is empty; set it to a file on a durable disk (not tmpfs), e.g. /var/lib/myapp/twophasecommit.log.");
        }

        return failures;
    }
}
