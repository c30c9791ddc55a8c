using FsCheck;
using FsCheck.Xunit;

namespace DataPatterns.Transactions.Tests.DecisionLog;

/// <summary>Whatever happens to the bytes of a decision log, no decision is lost without the start being stopped.</summary>
public sealed class DecisionLogDamageProperties
{
    private const int MaxDecisions = 12;

    // One log of MaxDecisions decisions, written once: each case damages a copy of its first N records.
    private static readonly Lazy<Task<(CommitDecision[] Decisions, int[] Offsets, byte[] Bytes)>> Written = new(async () =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"dp-txprop-{Guid.NewGuid():N}.log");
        try
        {
            var (decisions, offsets) = await DecisionLogDamageTests.WriteAsync(path, MaxDecisions);
            return (decisions, offsets, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Property(MaxTest = 300)]
    public async Task Single_byte_damage_anywhere_never_loses_a_decision_silently(PositiveInt decisions, NonNegativeInt position, NonZeroInt flip)
    {
        var (all, offsets, bytes) = await Written.Value;
        var count = 1 + ((decisions.Get - 1) % MaxDecisions);
        var file = bytes[..(count == MaxDecisions ? bytes.Length : offsets[count])];
        var at = position.Get % file.Length;
        var mask = (byte)(flip.Get & 0xFF) is var low and not 0 ? low : (byte)0x01;
        file[at] ^= mask;
        var path = Path.Combine(Path.GetTempPath(), $"dp-txprop-{Guid.NewGuid():N}.log");
        await File.WriteAllBytesAsync(path, file);
        try
        {
            FileDecisionLog log;
            try
            {
                log = new FileDecisionLog(path);
            }
            catch (DecisionLogDamagedException)
            {
                Assert.Equal(file, await File.ReadAllBytesAsync(path)); // stopped, and nothing was cut
                return;
            }

            await using (log)
            {
                Assert.Equal(
                    all.Take(count).Select(d => d.TransactionId).Order(),
                    (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Property(MaxTest = 200)]
    public async Task A_cut_anywhere_keeps_every_decision_written_before_it(NonNegativeInt cut)
    {
        var (all, offsets, bytes) = await Written.Value;
        var length = cut.Get % (bytes.Length + 1);
        var path = Path.Combine(Path.GetTempPath(), $"dp-txprop-{Guid.NewGuid():N}.log");
        await File.WriteAllBytesAsync(path, bytes[..length]);
        try
        {
            await using var log = new FileDecisionLog(path);

            // A decision is whole when the next one starts at or before the cut (the last one: when nothing was cut).
            var whole = Enumerable.Range(0, MaxDecisions).Where(i => (i + 1 < MaxDecisions ? offsets[i + 1] : bytes.Length) <= length);
            Assert.Equal(
                whole.Select(i => all[i].TransactionId).Order(),
                (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
