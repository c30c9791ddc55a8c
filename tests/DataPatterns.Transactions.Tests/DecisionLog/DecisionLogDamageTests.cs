using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace DataPatterns.Transactions.Tests.DecisionLog;

/// <summary>What the file decision log does with bytes it cannot read: a torn tail is cut, anything else stops the start.</summary>
public sealed class DecisionLogDamageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txdamage-").FullName;

    private string LogPath => Path.Combine(_directory, "decisions.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_damaged_middle_record_stops_the_start_and_leaves_the_file_byte_for_byte_unchanged()
    {
        var (decisions, offsets) = await WriteAsync(LogPath, 10);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[offsets[4] + 30] ^= 0x01; // one bit inside the fifth record's payload
        await File.WriteAllBytesAsync(LogPath, bytes);

        var error = Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));

        Assert.Equal(LogPath, error.Location);
        Assert.Equal(offsets[4], error.Offset);
        Assert.Equal(5, error.ReadableDecisionsAfter);
        Assert.Equal(decisions[4].TransactionId, error.TransactionId);
        Assert.Contains(LogPath, error.Message, StringComparison.Ordinal);
        Assert.Contains($"byte {offsets[4]}", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 readable commit decisions follow", error.Message, StringComparison.Ordinal);
        Assert.Contains("FileDecisionLog.Salvage", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(LogPath));
    }

    [Fact]
    public async Task A_complete_last_record_with_a_bad_checksum_stops_the_start()
    {
        // All of its bytes are there, so no crash during the append did this: dropping it would lose a decision silently.
        var (_, offsets) = await WriteAsync(LogPath, 3);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[^6] ^= 0xFF;
        await File.WriteAllBytesAsync(LogPath, bytes);

        var error = Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));

        Assert.Equal(offsets[2], error.Offset);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(LogPath));
    }

    [Fact]
    public async Task A_last_record_with_a_damaged_length_field_stops_the_start()
    {
        var (_, offsets) = await WriteAsync(LogPath, 3);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[offsets[2] + 1] ^= 0x10; // the length now points past the end of the file, like a torn append would

        await File.WriteAllBytesAsync(LogPath, bytes);

        Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(LogPath));
    }

    [Fact]
    public async Task A_torn_tail_is_cut_and_every_earlier_decision_is_kept()
    {
        var (decisions, offsets) = await WriteAsync(LogPath, 10);
        await using (var file = new FileStream(LogPath, FileMode.Open))
        {
            file.SetLength(offsets[9] + 20); // the crash came 20 bytes into the last append
        }

        await using var log = new FileDecisionLog(LogPath);

        Assert.Equal(decisions.Take(9).Select(d => d.TransactionId).Order(), (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
        Assert.Equal(offsets[9], new FileInfo(LogPath).Length);
    }

    [Fact]
    public async Task A_damaged_header_with_records_after_it_stops_the_start()
    {
        await WriteAsync(LogPath, 2);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[3] ^= 0x20;
        await File.WriteAllBytesAsync(LogPath, bytes);

        var error = Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));

        Assert.Equal(0, error.Offset);
        Assert.Equal(2, error.ReadableDecisionsAfter);
        Assert.Contains("damaged header", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(LogPath));
    }

    [Fact]
    public async Task A_record_with_an_out_of_range_date_stops_the_start_with_a_clear_error()
    {
        var (_, offsets) = await WriteAsync(LogPath, 2);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        var record = offsets[0];
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(record));
        var payload = bytes.AsSpan(record + 4, length);
        BinaryPrimitives.WriteInt64LittleEndian(payload[17..], long.MaxValue); // decided-at, ms since 1970: beyond year 9999
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(record + 4 + length), Crc32.HashToUInt32(payload)); // an intact record
        await File.WriteAllBytesAsync(LogPath, bytes);

        var error = Assert.Throws<DecisionLogDamagedException>(() => new FileDecisionLog(LogPath));

        Assert.Equal(record, error.Offset);
        Assert.Contains("outside the dates .NET can represent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Salvage_keeps_every_readable_decision_and_copies_the_damaged_bytes_beside_the_log()
    {
        var (decisions, offsets) = await WriteAsync(LogPath, 10);
        var damaged = await File.ReadAllBytesAsync(LogPath);
        damaged[offsets[4] + 30] ^= 0x01;
        await File.WriteAllBytesAsync(LogPath, damaged);
        var logger = new FakeLogger();

        var report = FileDecisionLog.Salvage(LogPath, logger);

        Assert.Equal(9, report.RecordsKept);
        Assert.Equal([(long)offsets[4]], report.DamagedOffsets);
        Assert.Equal([decisions[4].TransactionId], report.PossiblyLostTransactions);
        Assert.NotNull(report.DamagedCopyPath);
        var copy = await File.ReadAllBytesAsync(report.DamagedCopyPath);
        Assert.Equal(damaged[offsets[4]..offsets[5]], copy[offsets[4]..offsets[5]]); // the damaged bytes, at the offsets logged
        var lost = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(decisions[4].TransactionId.ToString("N"), lost.Message, StringComparison.Ordinal);
        Assert.Contains($"byte {offsets[4]}", lost.Message, StringComparison.Ordinal);

        await using var log = new FileDecisionLog(LogPath);
        Assert.Equal(
            decisions.Where((_, i) => i != 4).Select(d => d.TransactionId).Order(),
            (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
    }

    [Fact]
    public async Task The_salvage_option_salvages_on_open_and_the_log_keeps_working()
    {
        var (decisions, offsets) = await WriteAsync(LogPath, 4);
        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[offsets[1] + 25] ^= 0x80;
        await File.WriteAllBytesAsync(LogPath, bytes);
        var later = Decision();

        await using (var log = new FileDecisionLog(new FileDecisionLogOptions { Path = LogPath, SalvageDamage = true }))
        {
            // The rebuilt file is the log's, locked: a second process cannot open it.
            Assert.Throws<IOException>(() => new FileDecisionLog(LogPath));
            await log.RecordCommitAsync(later, CancellationToken.None);
        }

        await using var reopened = new FileDecisionLog(LogPath);
        Assert.Equal(
            new[] { decisions[0], decisions[2], decisions[3], later }.Select(d => d.TransactionId).Order(),
            (await reopened.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).Order());
        Assert.Single(Directory.GetFiles(_directory, "decisions.log.damaged-*"));
    }

    [Fact]
    public void Salvage_refuses_a_file_that_is_not_a_decision_log()
    {
        File.WriteAllText(LogPath, "somebody else's file, longer than a header");

        Assert.Throws<DecisionLogDamagedException>(() => FileDecisionLog.Salvage(LogPath));
        Assert.Equal("somebody else's file, longer than a header", File.ReadAllText(LogPath));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task New_log_files_and_damaged_copies_are_readable_by_their_owner_only()
    {
        var (_, offsets) = await WriteAsync(LogPath, 2);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));

        var bytes = await File.ReadAllBytesAsync(LogPath);
        bytes[offsets[0] + 30] ^= 0x01;
        await File.WriteAllBytesAsync(LogPath, bytes);
        var report = FileDecisionLog.Salvage(LogPath);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(report.DamagedCopyPath!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Compaction_never_follows_a_link_planted_at_its_temporary_name()
    {
        var victim = Path.Combine(_directory, "victim.txt");
        await File.WriteAllTextAsync(victim, "not yours");
        File.CreateSymbolicLink(LogPath + ".compacting", victim);
        var options = new FileDecisionLogOptions { Path = LogPath, CompactAfterFinished = 5 };
        await using (var log = new FileDecisionLog(options))
        {
            for (var i = 0; i < 10; i++)
            {
                var finished = Decision();
                await log.RecordCommitAsync(finished, CancellationToken.None);
                await log.ForgetAsync(finished.TransactionId, CancellationToken.None);
            }

            await log.RecordCommitAsync(Decision(), CancellationToken.None);
            Assert.True(log.CompactionCount >= 1, "the log compacted");
        }

        Assert.Equal("not yours", await File.ReadAllTextAsync(victim));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath)); // the compacted file too
        Assert.Single(await ReadIdsAsync(LogPath));
    }

    [Fact]
    public async Task A_relative_path_is_logged_with_the_absolute_path_it_resolved_to()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, LogPath);
        Assert.False(Path.IsPathFullyQualified(relative), "the test needs a relative path");
        var logger = new FakeLogger<FileDecisionLog>();

        await using var log = new FileDecisionLog(relative, logger);

        var record = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3017);
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Contains(LogPath, record.Message, StringComparison.Ordinal);
    }

    internal static async Task<(CommitDecision[] Decisions, int[] Offsets)> WriteAsync(string path, int count)
    {
        var decisions = Enumerable.Range(0, count).Select(_ => Decision()).ToArray();
        var offsets = new int[count];
        await using var log = new FileDecisionLog(path);
        for (var i = 0; i < count; i++)
        {
            offsets[i] = (int)log.Length;
            await log.RecordCommitAsync(decisions[i], CancellationToken.None);
        }

        return (decisions, offsets);
    }

    private static async Task<Guid[]> ReadIdsAsync(string path)
    {
        await using var log = new FileDecisionLog(path);
        return (await log.ReadCommittedAsync(CancellationToken.None)).Select(d => d.TransactionId).ToArray();
    }

    internal static CommitDecision Decision()
    {
        var id = Guid.NewGuid();
        return new CommitDecision(id, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), [
            new CommitBranch("payments", $"test:n1:{id:N}:0"),
            new CommitBranch("orders", $"test:n1:{id:N}:1"),
        ]);
    }
}
