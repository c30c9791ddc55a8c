using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace DataPatterns.Transactions;

/// <summary>
/// The embedded decision log: an append-only file with a CRC-32 per record, fsync'd before a commit decision counts.
/// Concurrent decisions are group-committed: callers serialise their records into the batch being filled and wait on
/// that batch; a dedicated flusher thread swaps the batch out, appends it with one write and makes it durable with one
/// <c>fdatasync</c> (<c>fsync</c> off Linux), holding no lock while it waits for the disk, so decisions arriving during a
/// flush simply fill the next batch. "Forget" records need no durability: they ride along with the next batch.
/// A torn last record (a crash mid-append) is detected on open and cut off; earlier records are kept. When enough
/// transactions have finished the file is rewritten with only the open decisions. One process at a time may open a file.
/// </summary>
public sealed class FileDecisionLog : IDecisionLog, IAsyncDisposable
{
    private readonly FileDecisionLogOptions _options;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly Dictionary<Guid, CommitDecision> _open = [];
    private readonly object _gate = new();
    private readonly Thread _flusher;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Batch _filling = new();
    private Batch? _spare = new();
    private bool _flusherIdle;
    private bool _closed;
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
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "DataPatterns decision log flusher" };
        _flusher.Start();
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
        while (true)
        {
            // The batch's task is taken under the lock: once flushed, a batch object is reset and reused.
            Task durable;
            bool queued;
            lock (_gate)
            {
                ThrowIfClosed();
                var batch = _filling;
                durable = batch.Durable.Task;
                queued = batch.Count < _options.QueueCapacity;
                if (queued)
                {
                    // Serialised here, by the caller, so the flusher only writes bytes; a decision too large throws before writing.
                    DecisionRecordFormat.WriteCommit(batch.Buffer, decision);
                    batch.Decisions.Add(decision);
                    WakeFlusher();
                }
            }

            if (queued)
            {
                // Every caller of this batch waits on the same task: one write and one fsync make all of them durable.
                await durable.ConfigureAwait(false);
                return;
            }

            // Back-pressure: the batch is full; wait until it is on disk, then fill the next one.
            try
            {
                await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // That batch failed; this decision was not in it, so try the next one.
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ForgetAsync(Guid transactionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            if (_open.Remove(transactionId))
            {
                _finishedSinceCompaction++;
            }

            // Written with the next batch (or at close), not fsync'd: a lost forget only makes recovery look at a finished
            // transaction again. The flusher is woken only when forgets pile up with no decision to carry them.
            var batch = _filling;
            DecisionRecordFormat.WriteForget(batch.Buffer, transactionId);
            batch.Forgets++;
            if (batch.Forgets >= ForgetsPerWake || _finishedSinceCompaction >= _options.CompactAfterFinished)
            {
                WakeFlusher();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CommitDecision>> ReadCommittedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<CommitDecision>>(_open.Values.ToArray());
        }
    }

    /// <summary>Writes what is queued, stops the flusher and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            WakeFlusher();
        }

        await _stopped.Task.ConfigureAwait(false);
        _handle.Dispose();
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);

    /// <summary>Under <see cref="_gate"/>: lets the flusher run if it is waiting for work.</summary>
    private void WakeFlusher()
    {
        if (_flusherIdle)
        {
            _flusherIdle = false;
            Monitor.Pulse(_gate);
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
        lock (_gate)
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

    /// <summary>The flusher thread: takes the filled batch, appends it, fsyncs once if it holds decisions, wakes its callers.</summary>
    private void FlushLoop()
    {
        try
        {
            while (TakeBatch() is { } batch)
            {
                Flush(batch);
                if (Volatile.Read(ref _finishedSinceCompaction) >= _options.CompactAfterFinished)
                {
                    TryCompact();
                }

                batch.Reset();
                lock (_gate)
                {
                    _spare = batch;
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private Batch? TakeBatch()
    {
        lock (_gate)
        {
            while (true)
            {
                var batch = _filling;
                var hasWork = batch.Decisions.Count > 0 || (batch.Forgets > 0 && (_closed || batch.Forgets >= ForgetsPerWake))
                    || (_finishedSinceCompaction >= _options.CompactAfterFinished && batch.Forgets > 0);
                if (hasWork)
                {
                    _filling = _spare ?? new Batch();
                    _spare = null;
                    return batch;
                }

                if (_closed)
                {
                    return null;
                }

                // Monitor.Wait releases the lock while it waits: callers keep filling the batch.
                _flusherIdle = true;
                Monitor.Wait(_gate);
                _flusherIdle = false;
            }
        }
    }

    private void Flush(Batch batch)
    {
        try
        {
            RandomAccess.Write(_handle, batch.Buffer.WrittenSpan, _length);
            if (batch.Decisions.Count > 0)
            {
                // Group commit: one fsync makes every decision of this batch durable.
                FileSync.FlushData(_handle);
                Interlocked.Increment(ref _fsyncs);
            }

            Interlocked.Add(ref _length, batch.Buffer.WrittenCount);
        }
        catch (Exception ex)
        {
            // The next batch overwrites whatever part of this one reached the file.
            batch.Durable.TrySetException(new IOException($"Writing to the decision log '{_path}' failed: {ex.Message}", ex));
            return;
        }

        lock (_gate)
        {
            foreach (var decision in batch.Decisions)
            {
                _open[decision.TransactionId] = decision;
            }
        }

        batch.Durable.TrySetResult();
    }

    private void TryCompact()
    {
        CommitDecision[] open;
        lock (_gate)
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

    /// <summary>Forget records that wake an otherwise idle flusher (so they do not pile up in memory).</summary>
    private const int ForgetsPerWake = 256;

    /// <summary>The records of one group commit and the task its callers wait on.</summary>
    private sealed class Batch
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

        public List<CommitDecision> Decisions { get; } = [];

        public int Forgets { get; set; }

        public int Count => Decisions.Count + Forgets;

        public TaskCompletionSource Durable { get; private set; } = NewCompletion();

        public void Reset()
        {
            Buffer.ResetWrittenCount();
            Decisions.Clear();
            Forgets = 0;
            Durable = NewCompletion();
        }

        // Continuations run on the thread pool, never on the flusher thread.
        private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
