using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace DataPatterns.Transactions;

/// <summary>
/// The embedded decision log: an append-only file with a CRC-32 per record, fsync'd before a commit decision counts.
/// Concurrent decisions are group-committed (one writer appends every waiting record and fsyncs once for all of them).
/// A torn last append (a crash before its fsync) is detected on open and cut off; earlier records are kept. Damage that is
/// not a torn tail (an unreadable record with readable ones after it, a complete record whose checksum fails, a field out
/// of range, a damaged header) stops the open with <see cref="DecisionLogDamagedException"/> and the file is not touched;
/// <see cref="Salvage"/> is the way out. When enough transactions have finished the file is rewritten with only the open
/// decisions. One process at a time may open a file; files are created readable by their owner only.
/// </summary>
public sealed class FileDecisionLog : IDecisionLog, IAsyncDisposable
{
    private readonly FileDecisionLogOptions _options;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly Dictionary<Guid, CommitDecision> _open = [];
    private readonly Channel<PendingWrite> _queue;
    private readonly Task _writer;
    private FileStream _file;
    private long _length;
    private int _finishedSinceCompaction;
    private long _fsyncs;
    private long _compactions;

    /// <summary>Opens (or creates) the log at <paramref name="path"/>.</summary>
    public FileDecisionLog(string path, ILogger<FileDecisionLog>? logger = null)
        : this(new FileDecisionLogOptions { Path = path }, logger)
    {
    }

    /// <summary>Opens (or creates) the log described by <paramref name="options"/>.</summary>
    /// <exception cref="IOException">Another process has the file open.</exception>
    /// <exception cref="DecisionLogDamagedException">
    /// The file holds damage that is not a torn last append, or is not a decision log; it is left exactly as it was.
    /// </exception>
    public FileDecisionLog(FileDecisionLogOptions options, ILogger<FileDecisionLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CompactAfterFinished, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _path = System.IO.Path.GetFullPath(options.Path);
        if (!System.IO.Path.IsPathFullyQualified(options.Path))
        {
            TransactionsLog.RelativeLogPath(_logger, options.Path, _path);
        }

        CreateFolder(System.IO.Path.GetDirectoryName(_path)!);
        _file = DecisionLogFiles.OpenExclusive(_path);
        try
        {
            if (options.SalvageDamage)
            {
                DecisionLogSalvage.Run(_path, _file.SafeFileHandle, _logger, TimeProvider.System, out var replacement);
                if (replacement is not null)
                {
                    _file.Dispose(); // the salvage replaced the file this handle had open, and hands over the new one locked
                    _file = replacement;
                }
            }

            Load();
        }
        catch
        {
            _file.Dispose();
            throw;
        }

        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Salvages a damaged log that refused to start (<see cref="DecisionLogDamagedException"/>): copies the file as it
    /// was to <c>{path}.damaged-{UTC time}</c>, keeps every readable record, and logs (Error) each damaged range with the
    /// transaction it seems to hold. A lost commit decision is a transaction whose prepared branches must be committed by
    /// hand before recovery's grace period presumes it aborted: run this with the coordinator stopped, then check them.
    /// Does nothing to a log without damage. The file must not be open elsewhere.
    /// </summary>
    /// <exception cref="DecisionLogDamagedException">The file is not a decision log (a wrong header and no readable record).</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static DecisionLogSalvageReport Salvage(string path, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"There is no decision log at '{fullPath}' to salvage.", fullPath);
        }

        using var file = DecisionLogFiles.OpenExclusive(fullPath);
        var report = DecisionLogSalvage.Run(fullPath, file.SafeFileHandle, logger ?? NullLogger.Instance, TimeProvider.System, out var replacement);
        replacement?.Dispose();
        return report;
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _path;

    /// <summary>How many fsyncs the log has done (with group commit, fewer than the decisions written).</summary>
    public long FsyncCount => Interlocked.Read(ref _fsyncs);

    /// <summary>How many times the file was compacted.</summary>
    public long CompactionCount => Interlocked.Read(ref _compactions);

    /// <summary>The file's current size in bytes.</summary>
    public long Length => Interlocked.Read(ref _length);

    /// <inheritdoc />
    public async ValueTask RecordCommitAsync(CommitDecision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueAsync(new PendingWrite(decision, decision.TransactionId, completion), cancellationToken).ConfigureAwait(false);
        await completion.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        // Gone from the open set at once, so a read right after a recovery pass does not list it; the record itself rides
        // with a later write (a forget lost in a crash only brings the decision back to be forgotten again).
        Apply(DecisionRecordFormat.ForgetKind, transactionId, null);
        return EnqueueAsync(new PendingWrite(null, transactionId, null), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        lock (_open)
        {
            return ValueTask.FromResult<IReadOnlyList<CommitDecision>>(_open.Values.ToArray());
        }
    }

    /// <summary>Writes what is queued, stops the writer and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue.Writer.TryComplete())
        {
            await _writer.ConfigureAwait(false);
            _file.Dispose();
        }
    }

    private async ValueTask EnqueueAsync(PendingWrite write, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The decision log '{_path}' is closed; no decision can be written to it.", ex);
        }
    }

    /// <summary>Creates the log's folder when missing, owner-only (0700) on Unix; an existing folder is left as it is.</summary>
    private static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The whole file.</summary>
    internal static byte[] ReadAll(SafeFileHandle handle)
    {
        var data = new byte[RandomAccess.GetLength(handle)];
        var read = 0;
        while (read < data.Length)
        {
            var n = RandomAccess.Read(handle, data.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read == data.Length ? data : data[..read];
    }

    private void Load()
    {
        var handle = _file.SafeFileHandle;
        var scan = DecisionLogScan.Of(ReadAll(handle));
        if (scan.IsUnwritten)
        {
            // New, or a crash came while it was being created: nothing was ever recorded in it.
            RandomAccess.Write(handle, DecisionRecordFormat.Header, 0);
            RandomAccess.SetLength(handle, DecisionRecordFormat.Header.Length);
            RandomAccess.FlushToDisk(handle);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(_path)!);
            _length = DecisionRecordFormat.Header.Length;
            return;
        }

        if (!scan.HeaderIntact || scan.Damage.Count > 0)
        {
            throw Damaged(scan);
        }

        foreach (var record in scan.Records)
        {
            Apply(record.Kind, record.TransactionId, record.Decision);
        }

        if (scan.TornTailAt >= 0)
        {
            // A crash interrupted the last append before its fsync, so none of it was acknowledged. Cut it off so that
            // appends follow good data.
            TransactionsLog.TornRecord(_logger, scan.TornTailAt, _path, scan.Records.Count);
            RandomAccess.SetLength(handle, scan.TornTailAt);
            RandomAccess.FlushToDisk(handle);
        }

        _length = scan.End;
    }

    private DecisionLogDamagedException Damaged(DecisionLogScan scan)
    {
        const string Fix = "The file is left exactly as it is. Restore it from a backup, or salvage it: stop the coordinator and call FileDecisionLog.Salvage(path), or start once with TwoPhaseCommitOptions.SalvageDecisionLog = true (FileDecisionLogOptions.SalvageDamage). Salvage keeps every readable record, copies the file as it was beside it and logs each record it could not read; commit the prepared branches of any lost commit decision by hand.";
        if (!scan.HeaderIntact)
        {
            return scan.Records.Count == 0
                ? new DecisionLogDamagedException(_path, 0, 0, null, $"'{_path}' is not a DataPatterns decision log (its header is wrong and no readable record follows). Point TwoPhaseCommitOptions.DecisionLogPath at a file of its own; this one is left as it is.")
                : new DecisionLogDamagedException(_path, 0, scan.CommitsAfter(0), null, $"The decision log '{_path}' has a damaged header, followed by {scan.Records.Count} readable records ({scan.CommitsAfter(0)} commit decisions). It refuses to start rather than guess. {Fix}");
        }

        var first = scan.Damage[0];
        var after = scan.CommitsAfter(first.Offset);
        var id = first.LikelyTransactionId is { } likely ? $" It may have held transaction {likely:N}." : string.Empty;
        return new DecisionLogDamagedException(
            _path,
            first.Offset,
            after,
            first.LikelyTransactionId,
            $"The decision log '{_path}' is damaged at byte {first.Offset} ({first.Reason}; {scan.Damage.Count} damaged range(s) in all), and {after} readable commit decisions follow the damage. This is not a torn last append, which a crash can cause and which would be cut: cutting here would silently drop those decisions, and recovery would roll back branches of transactions that committed. It refuses to start.{id} {Fix}");
    }

    private void Apply(byte kind, Guid id, CommitDecision? decision)
    {
        lock (_open)
        {
            if (kind == DecisionRecordFormat.CommitKind)
            {
                _open[id] = decision!;
            }
            else if (_open.Remove(id))
            {
                _finishedSinceCompaction++;
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var batch = new List<PendingWrite>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            buffer.ResetWrittenCount();
            var durable = false;
            while (batch.Count < 4096 && reader.TryRead(out var write))
            {
                if (write.Decision is { } decision)
                {
                    DecisionRecordFormat.WriteCommit(buffer, decision);
                    durable = true;
                }
                else
                {
                    DecisionRecordFormat.WriteForget(buffer, write.TransactionId);
                }

                batch.Add(write);
            }

            try
            {
                RandomAccess.Write(_file.SafeFileHandle, buffer.WrittenSpan, _length);
                if (durable)
                {
                    // Group commit: one fsync makes every decision of this batch durable.
                    RandomAccess.FlushToDisk(_file.SafeFileHandle);
                    Interlocked.Increment(ref _fsyncs);
                }

                Interlocked.Add(ref _length, buffer.WrittenCount);
                foreach (var write in batch)
                {
                    Apply(write.Decision is null ? DecisionRecordFormat.ForgetKind : DecisionRecordFormat.CommitKind, write.TransactionId, write.Decision);
                }

                foreach (var write in batch)
                {
                    write.Completion?.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                // Whatever part of this batch reached the file goes, so that no unacknowledged record is left beyond the
                // next, shorter batch for a later open to read back (or to take for damage). If even that fails, the next
                // batch overwrites it from the same offset.
                TryCutBack();
                var failure = new IOException($"Writing to the decision log '{_path}' failed: {ex.Message}", ex);
                foreach (var write in batch)
                {
                    write.Completion?.TrySetException(failure);
                }

                continue;
            }

            if (_finishedSinceCompaction >= _options.CompactAfterFinished)
            {
                TryCompact();
            }
        }
    }

    private void TryCutBack()
    {
        try
        {
            RandomAccess.SetLength(_file.SafeFileHandle, Interlocked.Read(ref _length));
        }
        catch (IOException)
        {
            // The write failure is what the callers are told about.
        }
    }

    private void TryCompact()
    {
        CommitDecision[] open;
        lock (_open)
        {
            open = _open.Values.ToArray();
            _finishedSinceCompaction = 0;
        }

        var temporary = _path + ".compacting";
        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            buffer.Write(DecisionRecordFormat.Header);
            foreach (var decision in open)
            {
                DecisionRecordFormat.WriteCommit(buffer, decision);
            }

            // Created new after deleting a stale one: a link planted at this name is removed, never followed. Kept open
            // and locked through the rename, so the lock moves with it: no other process finds the new log unlocked.
            var file = DecisionLogFiles.CreateNewExclusive(temporary);
            try
            {
                RandomAccess.Write(file.SafeFileHandle, buffer.WrittenSpan, 0);
                RandomAccess.FlushToDisk(file.SafeFileHandle);

                // Atomic swap; the folder is fsync'd so the new name survives a crash.
                File.Move(temporary, _path, overwrite: true);
            }
            catch
            {
                file.Dispose();
                throw;
            }

            var previous = _file;
            _file = file;
            previous.Dispose();
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(_path)!);
            Interlocked.Exchange(ref _length, buffer.WrittenCount);
            Interlocked.Increment(ref _compactions);
        }
        catch (IOException)
        {
            // Compaction is housekeeping: the uncompacted file stays correct; try again after more transactions finish.
            File.Delete(temporary);
        }
    }

    private readonly record struct PendingWrite(CommitDecision? Decision, Guid TransactionId, TaskCompletionSource? Completion);
}
