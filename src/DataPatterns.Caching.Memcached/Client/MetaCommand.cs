using System.Buffers;
using System.Buffers.Text;
using System.Threading.Tasks.Sources;

namespace DataPatterns.Caching.Memcached.Client;

/// <summary>The kinds of meta command the client sends.</summary>
internal enum MetaCommandKind
{
    Get,
    Set,
    Delete,
    Noop,
    FlushAll,
}

/// <summary>
/// One command in flight: what to write, where a value goes and the caller's awaitable. The answer, a cancellation and
/// a connection failure race to complete it; the first wins (<see cref="_state"/>), so a cancelled or failed read never
/// has its caller's buffer written afterwards.
/// </summary>
internal sealed class MetaCommand : IValueTaskSource<MetaResult>
{
    private const int Waiting = 0;
    private const int Finished = 1;

    private readonly byte[] _key = ArrayPool<byte>.Shared.Rent(MetaKey.MaxEncodedLength);
    private ManualResetValueTaskSourceCore<MetaResult> _core = new() { RunContinuationsAsynchronously = true };
    private int _keyLength;
    private int _state;
    private CancellationTokenRegistration _cancellation;

    private MetaCommand(MetaCommandKind kind) => Kind = kind;

    public MetaCommandKind Kind { get; }

    public uint RingHash { get; private set; }

    public ReadOnlyMemory<byte> Value { get; private init; }

    /// <summary>The <c>T</c> flag of a set: seconds, or a unix time when over 30 days; 0 never expires.</summary>
    public long Ttl { get; private set; }

    /// <summary>Shortens the TTL to at most <paramref name="seconds"/> (a TTL of none, or a unix time, is replaced).</summary>
    public void CapTtl(long seconds)
    {
        if (Ttl == 0 || Ttl > seconds)
        {
            Ttl = seconds;
        }
    }

    public IBufferWriter<byte>? Destination { get; private init; }

    /// <summary>When the call began (<see cref="TimeProvider.GetTimestamp"/>), connecting included: the timeout counts from here.</summary>
    public long StartedAt { get; set; }

    public uint Opaque { get; set; }

    public ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

    public static MetaCommand Get(string key, IBufferWriter<byte> destination) => WithKey(new MetaCommand(MetaCommandKind.Get) { Destination = destination }, key);

    public static MetaCommand Set(string key, ReadOnlyMemory<byte> value, long ttl) => WithKey(new MetaCommand(MetaCommandKind.Set) { Value = value, Ttl = ttl }, key);

    public static MetaCommand Delete(string key) => WithKey(new MetaCommand(MetaCommandKind.Delete), key);

    public static MetaCommand Noop() => new(MetaCommandKind.Noop);

    /// <summary><c>flush_all</c> (text protocol, answered <c>OK</c>): empties a server that comes back after being marked down.</summary>
    public static MetaCommand FlushAll() => new(MetaCommandKind.FlushAll);

    private static MetaCommand WithKey(MetaCommand command, string key)
    {
        command._keyLength = MetaKey.Encode(key, command._key, out var hash);
        command.RingHash = hash;
        return command;
    }

    public ValueTask<MetaResult> Task => new(this, _core.Version);

    public bool IsFinished => Volatile.Read(ref _state) != Waiting;

    /// <summary>Lets the caller give up; the answer, when it comes, is read and dropped.</summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((MetaCommand)state!).TryFail(new OperationCanceledException(token)), this);
        }
    }

    /// <summary>Completes with an answer (a value is copied to the destination first); false when already finished.</summary>
    public bool TryComplete(MetaResult result, in ReadOnlySequence<byte> value)
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Waiting) != Waiting)
        {
            return false;
        }

        _cancellation.Unregister();
        try
        {
            if (result.Status == MetaStatus.Hit && Destination is { } destination)
            {
                foreach (var segment in value)
                {
                    destination.Write(segment.Span);
                }
            }
        }
        catch (Exception ex)
        {
            _core.SetException(ex);
            return true;
        }

        _core.SetResult(result);
        return true;
    }

    public bool TryFail(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Waiting) != Waiting)
        {
            return false;
        }

        _cancellation.Unregister();
        _core.SetException(exception);
        return true;
    }

    /// <summary>The command line's bytes: never longer than <see cref="MaxLineLength"/>.</summary>
    public int WriteLine(Span<byte> destination)
    {
        var n = 0;
        switch (Kind)
        {
            case MetaCommandKind.Get:
                Put(destination, ref n, "mg "u8);
                Put(destination, ref n, Key);
                Put(destination, ref n, " b v t O"u8);
                Put(destination, ref n, Opaque);
                break;
            case MetaCommandKind.Set:
                Put(destination, ref n, "ms "u8);
                Put(destination, ref n, Key);
                Put(destination, ref n, " "u8);
                Put(destination, ref n, Value.Length);
                Put(destination, ref n, " b T"u8);
                Put(destination, ref n, Ttl);
                Put(destination, ref n, " O"u8);
                Put(destination, ref n, Opaque);
                break;
            case MetaCommandKind.Delete:
                Put(destination, ref n, "md "u8);
                Put(destination, ref n, Key);
                Put(destination, ref n, " b O"u8);
                Put(destination, ref n, Opaque);
                break;
            case MetaCommandKind.FlushAll:
                Put(destination, ref n, "flush_all"u8);
                break;
            default:
                Put(destination, ref n, "mn"u8);
                break;
        }

        Put(destination, ref n, "\r\n"u8);
        return n;
    }

    private static void Put(Span<byte> destination, ref int position, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[position..]);
        position += bytes.Length;
    }

    private static void Put(Span<byte> destination, ref int position, long number)
    {
        Utf8Formatter.TryFormat(number, destination[position..], out var written);
        position += written;
    }

    /// <summary>"ms " + key + " " + length + " b T" + ttl + " O" + opaque + CRLF, with every number at its longest.</summary>
    public const int MaxLineLength = 3 + MetaKey.MaxEncodedLength + 1 + 10 + 4 + 20 + 2 + 10 + 2;

    public void ReturnKeyBuffer() => ArrayPool<byte>.Shared.Return(_key);

    MetaResult IValueTaskSource<MetaResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<MetaResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<MetaResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
