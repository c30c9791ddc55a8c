using Microsoft.Extensions.Options;

namespace DataPatterns.Transactions;

/// <summary>Checks <see cref="TwoPhaseCommitOptions"/> at start-up with messages that name the setting and the fix.</summary>
internal sealed class TwoPhaseCommitOptionsValidator : IValidateOptions<TwoPhaseCommitOptions>
{
    public ValidateOptionsResult Validate(string? name, TwoPhaseCommitOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

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

        if (options.PhaseTwoRetryDelay <= TimeSpan.Zero || options.PhaseTwoMaxRetryDelay < options.PhaseTwoRetryDelay)
        {
            failures.Add("TwoPhaseCommitOptions.PhaseTwoRetryDelay must be above zero and PhaseTwoMaxRetryDelay at least as long.");
        }

        if (string.IsNullOrWhiteSpace(options.DecisionLogPath))
        {
            failures.Add("TwoPhaseCommitOptions.DecisionLogPath is empty; set it to a file on a durable disk (not tmpfs), e.g. /var/lib/myapp/twophasecommit.log.");
        }

        return failures;
    }
}
