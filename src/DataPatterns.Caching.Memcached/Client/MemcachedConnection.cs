using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DataPatterns.Caching.Memcached.Distribution;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>
/// One socket to one server, carrying many commands at once: a writer loop sends them in the order they were queued
/// (batching whatever is waiting into one flush), a reader loop matches the answers to them in the same order. Any
/// failure (socket, malformed answer, timeout) closes the whole connection and fails every command on it, since no
/// later answer could be trusted to belong to its command.
/// </summary>
internal sealed class MemcachedConnection
{
    /// <summary>Flush before this many bytes pile up, so one large value does not sit behind a batch of others.</summary>
    private const int FlushThreshold = 256 * 1024;

    private readonly Socket _socket;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Channel<MetaCommand> _toWrite = Channel.CreateUnbounded<MetaCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<MetaCommand> _inFlight = new();
    private readonly Lock _submitLock = new();
    private readonly int _maxPending;
    private readonly int _maxValueLength;
    private readonly IConnectionEvents _events;
    private int _pending;
    private uint _nextOpaque;
    private volatile bool _closed;

    private MemcachedConnection(Socket socket, ServerEndpoint server, int maxPending, int maxValueLength, IConnectionEvents events)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4 * 1024));
        Server = server;
        _maxPending = maxPending;
        _maxValueLength = maxValueLength;
        _events = events;
    }

    /// <summary>What the connection tells its owner.</summary>
    public interface IConnectionEvents
    {
        /// <summary>An answer arrived: the server is alive.</summary>
        void Answered(MemcachedConnection connection);

        /// <summary>The connection closed for <paramref name="reason"/>, failing <paramref name="failed"/> commands.</summary>
        void Closed(MemcachedConnection connection, Exception reason, int failed);
    }

    public ServerEndpoint Server { get; }

    public bool IsClosed => _closed;

    /// <summary>Opens a connection; <paramref name="cancellationToken"/> bounds the connect.</summary>
    public static async Task<MemcachedConnection> ConnectAsync(ServerEndpoint server, int maxPending, int maxValueLength, IConnectionEvents events, CancellationToken cancellationToken)
    {
        EndPoint endpoint = IPAddress.TryParse(server.Host, out var address) ? new IPEndPoint(address, server.Port) : new DnsEndPoint(server.Host, server.Port);
        var socket = address is not null ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new MemcachedConnection(socket, server, maxPending, maxValueLength, events);
        _ = connection.WriteLoopAsync();
        _ = connection.ReadLoopAsync();
        return connection;
    }

    /// <summary>When the oldest command still waiting for its answer began; null when none waits.</summary>
    public long? OldestStartedAt => _inFlight.TryPeek(out var oldest) ? oldest.StartedAt : null;

    /// <summary>Queues <paramref name="command"/>; false (with the reason) when the connection is closed or full.</summary>
    public bool TrySubmit(MetaCommand command, out Exception? refusal)
    {
        // Under one lock the command takes its opaque token, its place among the answers awaited and its place on the
        // wire, so the three orders are the same.
        lock (_submitLock)
        {
            if (_closed)
            {
                refusal = new MemcachedServerUnavailableException($"The connection to Memcached server {Server} was closed; retry the command.") { Server = Server.Name };
                return false;
            }

            if (_pending >= _maxPending)
            {
                refusal = new MemcachedOverloadedException($"The connection to Memcached server {Server} already carries {_maxPending} commands (MemcachedCachingOptions.MaxPendingPerConnection); this one fails rather than queue behind them. Raise ConnectionsPerServer or MaxPendingPerConnection if the server keeps up.") { Server = Server.Name };
                return false;
            }

            Interlocked.Increment(ref _pending);
            command.Opaque = ++_nextOpaque;
            _inFlight.Enqueue(command);
            _toWrite.Writer.TryWrite(command);
        }

        refusal = null;
        return true;
    }

    /// <summary>Closes the connection and fails every command on it with <paramref name="reason"/>. Safe to call twice.</summary>
    public void Close(Exception reason)
    {
        lock (_submitLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
        }

        _toWrite.Writer.TryComplete();
        _socket.Dispose();
        // Drained under the lock the reader takes to dequeue an answered command: each command is taken once, by the
        // reader (which completes it) or here (which fails it), never lost between the two.
        List<MetaCommand> taken = [];
        lock (_submitLock)
        {
            while (_inFlight.TryDequeue(out var command))
            {
                taken.Add(command);
            }
        }

        foreach (var command in taken)
        {
            command.TryFail(reason);
        }

        var failed = taken.Count;

        _events.Closed(this, reason, failed);
    }

    private async Task WriteLoopAsync()
    {
        var commands = _toWrite.Reader;
        try
        {
            while (await commands.WaitToReadAsync().ConfigureAwait(false))
            {
                while (commands.TryRead(out var command))
                {
                    // A command its caller gave up on is still sent: an answer is awaited for every queued command.
                    Write(command);
                    if (_writer.UnflushedBytes > FlushThreshold)
                    {
                        await _writer.FlushAsync().ConfigureAwait(false);
                    }
                }

                await _writer.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Close(new MemcachedServerUnavailableException($"Writing to Memcached server {Server} failed: {ex.Message}", ex) { Server = Server.Name });
        }
        finally
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Write(MetaCommand command)
    {
        var line = _writer.GetSpan(MetaCommand.MaxLineLength);
        _writer.Advance(command.WriteLine(line));
        if (command.Kind == MetaCommandKind.Set)
        {
            _writer.Write(command.Value.Span);
            _writer.Write("\r\n"u8);
        }

        command.ReturnKeyBuffer();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var read = await _reader.ReadAsync().ConfigureAwait(false);
                var buffer = read.Buffer;
                try
                {
                    ReadAnswers(ref buffer);
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (read.IsCompleted)
                {
                    throw new MemcachedServerUnavailableException($"Memcached server {Server} closed the connection.") { Server = Server.Name };
                }
            }
        }
        catch (MemcachedException ex)
        {
            Close(ex);
        }
        catch (Exception ex)
        {
            Close(new MemcachedServerUnavailableException($"Reading from Memcached server {Server} failed: {ex.Message}", ex) { Server = Server.Name });
        }
        finally
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void ReadAnswers(ref ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (!_inFlight.TryPeek(out var head))
            {
                throw new MemcachedProtocolException($"Memcached server {Server} sent bytes no command asked for; the connection is closed.") { Server = Server.Name };
            }

            if (!MetaResponseParser.TryParse(ref buffer, head, _maxValueLength, out var result, out var value, out var commandError))
            {
                return;
            }

            if (!TryTakeHead(head))
            {
                return; // Close took it (and fails it): the connection is going, no later answer matters
            }

            Interlocked.Decrement(ref _pending);
            if (commandError is null)
            {
                head.TryComplete(result, value);
            }
            else
            {
                head.TryFail(commandError);
            }

            _events.Answered(this);
        }
    }

    /// <summary>Dequeues <paramref name="head"/> if it is still the head: false when Close drained it meanwhile.</summary>
    private bool TryTakeHead(MetaCommand head)
    {
        lock (_submitLock)
        {
            if (!_inFlight.TryPeek(out var current) || !ReferenceEquals(current, head))
            {
                return false;
            }

            _inFlight.TryDequeue(out _);
            return true;
        }
    }
}
