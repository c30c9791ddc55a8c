using System.Globalization;

namespace DataPatterns.Transactions.Tests.StatelessCommit;

// Named steps for the scripted runs: "insert 0", "prepare 1", "commit 0", "crash", "recover" (one recovery to the end),
// "delete committed 0", "delete fence 1" (refused unless the retention rules allow it).
internal sealed partial class StatelessCommitModel
{
    public void Script(params string[] steps)
    {
        foreach (var step in steps)
        {
            var words = step.Split(' ');
            var index = int.TryParse(words[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : -1;
            switch (words[0])
            {
                case "insert":
                    InsertMarker(index);
                    break;
                case "prepare":
                    Prepare(index);
                    break;
                case "commit":
                    _participants[index].CommitPrepared();
                    break;
                case "crash":
                    _coordinator.Crashed = true;
                    break;
                case "recover":
                    RunRecovery(_recoveries[0]);
                    break;
                case "delete" when CanDelete(index):
                    _participants[index].Marker = MarkerState.None;
                    break;
                default:
                    throw new InvalidOperationException($"Step '{step}' is not possible in this state: {Describe()}");
            }
        }
    }

    /// <summary>Whether the retention rules let a deletion remove participant <paramref name="index"/>'s marker now.</summary>
    public bool CanDelete(int index) => DeletionAllowed(_participants[index]);

    private void RunRecovery(Recovery recovery)
    {
        recovery.Restart();
        while (RecoveryActions(recovery).FirstOrDefault() is { } step)
        {
            step();
        }
    }
}
