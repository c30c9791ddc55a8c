using System.Buffers;

namespace DataPatterns.Caching;

/// <summary>
/// A growable buffer on pooled arrays that an <see cref="Microsoft.Extensions.Caching.Distributed.IBufferDistributedCache"/>
/// reads an entry into, so an L2 hit needs no <c>byte[]</c> of its own. They are pooled for reuse.
/// </summary>
internal sealed class DistributedReadBuffer : IBufferWriter<byte>
{
    private const int InitialSize = 1024;
    private const int KeepAtMost = 64 * 1024;

    private byte[] _array;
    private int _written;

    private DistributedReadBuffer() => _array = ArrayPool<byte>.Shared.Rent(InitialSize);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    /// <summary>Takes a pooled buffer (or a new one); give it back with <see cref="Return"/> once nothing writes to it.</summary>
    public static DistributedReadBuffer Rent() => ReusePool<DistributedReadBuffer>.TryTake() ?? new DistributedReadBuffer();

    /// <summary>Keeps <paramref name="buffer"/> for another read (large arrays go back to the array pool).</summary>
    public static void Return(DistributedReadBuffer buffer)
    {
        buffer._written = 0;
        if (buffer._array.Length > KeepAtMost)
        {
            ArrayPool<byte>.Shared.Return(buffer._array);
            buffer._array = ArrayPool<byte>.Shared.Rent(InitialSize);
        }

        ReusePool<DistributedReadBuffer>.Give(buffer);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _array.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _written + needed));
        _array.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }
}
