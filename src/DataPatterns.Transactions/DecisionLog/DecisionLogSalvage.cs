using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace DataPatterns.Transactions;

/// <summary>
/// Rebuilds a damaged decision log from its readable records: the file as it was is copied beside it first (owner-only,
/// created new), then the readable records are written to a new file that atomically replaces the log. Each damaged range
/// is logged with the transaction it seems to hold, since a lost commit decision must be resolved by hand.
/// </summary>
internal static class DecisionLogSalvage
{
    /// <param name="path">The log's full path.</param>
    /// <param name="handle">The log, open and locked.</param>
    /// <param name="logger">Where damaged ranges are logged.</param>
    /// <param name="time">For the damaged copy's name.</param>
    /// <param name="replacement">The rebuilt log, open and locked, now at <paramref name="path"/>; null when nothing was replaced.</param>
    public static DecisionLogSalvageReport Run(string path, SafeFileHandle handle, ILogger logger, TimeProvider time, out FileStream? replacement)
    {
        replacement = null;
        var data = FileDecisionLog.ReadAll(handle);
        var scan = DecisionLogScan.Of(data);
        if (scan.IsUnwritten || (scan.HeaderIntact && scan.Damage.Count == 0))
        {
            return new DecisionLogSalvageReport(path, null, scan.Records.Count, [], []);
        }

        if (!scan.HeaderIntact && scan.Records.Count == 0)
        {
            throw new DecisionLogDamagedException(path, 0, 0, null, $"'{path}' is not a DataPatterns decision log (its header is wrong and no readable record follows), so it is not salvaged: nothing in it says it belongs to the coordinator. Point TwoPhaseCommitOptions.DecisionLogPath at a file of its own.");
        }

        var copy = WriteDamagedCopy(path, data, time);
        var rebuilt = new MemoryStream();
        rebuilt.Write(DecisionRecordFormat.Header);
        foreach (var record in scan.Records)
        {
            rebuilt.Write(data, (int)record.Offset, record.Size);
        }

        var temporary = path + ".salvaging";
        // Renamed over the log while still open and locked: the lock moves with it, so no other process can open the
        // rebuilt log between the rename and the caller taking this handle as the log's.
        var file = DecisionLogFiles.CreateNewExclusive(temporary);
        try
        {
            RandomAccess.Write(file.SafeFileHandle, rebuilt.GetBuffer().AsSpan(0, (int)rebuilt.Length), 0);
            RandomAccess.FlushToDisk(file.SafeFileHandle);
            File.Move(temporary, path, overwrite: true);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(path)!);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        replacement = file;

        var lost = new List<Guid>();
        foreach (var range in scan.Damage)
        {
            TransactionsLog.SalvageLostRecord(logger, path, range.Offset, range.Length, range.Reason, range.LikelyTransactionId?.ToString("N") ?? "unknown");
            if (range.LikelyTransactionId is { } id)
            {
                lost.Add(id);
            }
        }

        TransactionsLog.Salvaged(logger, path, scan.Records.Count, scan.Damage.Count, copy);
        return new DecisionLogSalvageReport(path, copy, scan.Records.Count, scan.Damage.Select(d => d.Offset).ToArray(), lost);
    }

    /// <summary>Creates <c>{log}.damaged-{UTC time}</c> (never over an existing file) with the whole file as it was.</summary>
    private static string WriteDamagedCopy(string path, byte[] data, TimeProvider time)
    {
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            var copy = attempt == 0 ? $"{path}.damaged-{stamp}" : $"{path}.damaged-{stamp}-{attempt}";
            FileStream file;
            try
            {
                file = DecisionLogFiles.CreateNewOnly(copy);
            }
            catch (IOException) when (attempt < 100)
            {
                continue;
            }

            using (file)
            {
                RandomAccess.Write(file.SafeFileHandle, data, 0);
                RandomAccess.FlushToDisk(file.SafeFileHandle);
            }

            DirectorySync.Flush(System.IO.Path.GetDirectoryName(path)!);
            return copy;
        }
    }
}
