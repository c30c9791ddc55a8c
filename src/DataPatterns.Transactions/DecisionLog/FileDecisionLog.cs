using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace DataPatterns.Transactions;

/// <summary>
/// The embedded decision log: an append-only file with a CRC-32 per record, fsync'd before a commit decision counts.
/// Concurrent decisions are group-committed (one writer appends every waiting record and fsyncs once for all of them).
/// A torn last record (a crash mid-append) is detected on open and cut off; earlier records are kept. When enough
/// transactions have finished the file is rewritten with only the open decisions. One process at a time may open a file.
/// </summary>
public sealed class FileDecisionLog : IDecisionLog, IAsyncDisposable
{
    private readonly FileDecisionLogOptions _options;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly Dictionary<Guid, CommitDecision> _open = [];
    private readonly Channel<PendingWrite> _queue;
    private readonly Task _writer;
    private SafeFileHandle _handle;
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
    /// <exception cref="IOException">Another process has the file open, or it is not a decision log.</exception>
    public FileDecisionLog(FileDecisionLogOptions options, ILogger<FileDecisionLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CompactAfterFinished, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _path = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
        _handle = OpenExclusive(_path);
        Load();
        _queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = Task.Run(WriteLoopAsync);
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
            _handle.Dispose();
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

    private static SafeFileHandle OpenExclusive(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The decision log '{path}' could not be opened: {ex.Message} Only one coordinator process may use a decision log file; give each node its own path.", ex);
        }
    }

    private void Load()
    {
        var size = RandomAccess.GetLength(_handle);
        if (size == 0)
        {
            RandomAccess.Write(_handle, DecisionRecordFormat.Header, 0);
            RandomAccess.FlushToDisk(_handle);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(_path)!);
            _length = DecisionRecordFormat.Header.Length;
            return;
        }

        var data = new byte[size];
        var read = 0;
        while (read < data.Length)
        {
            var n = RandomAccess.Read(_handle, data.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read < DecisionRecordFormat.Header.Length || !data.AsSpan(0, DecisionRecordFormat.Header.Length).SequenceEqual(DecisionRecordFormat.Header))
        {
            _handle.Dispose();
            throw new IOException($"'{_path}' is not a DataPatterns decision log (its header is wrong). Point TwoPhaseCommitOptions.DecisionLogPath at a file of its own.");
        }

        var offset = DecisionRecordFormat.Header.Length;
        var records = 0;
        while (offset < read && DecisionRecordFormat.TryRead(data.AsSpan(offset, read - offset), out var consumed, out var kind, out var id, out var decision))
        {
            Apply(kind, id, decision);
            offset += consumed;
            records++;
        }

        if (offset < size)
        {
            // A crash interrupted the last append: that record was never acknowledged. Cut it off so appends follow good data.
            TransactionsLog.TornRecord(_logger, offset, _path, records);
            RandomAccess.SetLength(_handle, offset);
            RandomAccess.FlushToDisk(_handle);
        }

        _length = offset;
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
                RandomAccess.Write(_handle, buffer.WrittenSpan, _length);
                if (durable)
                {
                    // Group commit: one fsync makes every decision of this batch durable.
                    RandomAccess.FlushToDisk(_handle);
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
                // The next batch overwrites whatever part of this one reached the file.
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

            using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, buffer.WrittenSpan, 0);
                RandomAccess.FlushToDisk(handle);
            }

            // Atomic swap; the folder is fsync'd so the new name survives a crash.
            File.Move(temporary, _path, overwrite: true);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(_path)!);
            var previous = _handle;
            _handle = OpenExclusive(_path);
            previous.Dispose();
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
