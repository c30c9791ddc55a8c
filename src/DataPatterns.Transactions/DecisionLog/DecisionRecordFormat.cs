using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace DataPatterns.Transactions;

/// <summary>
/// The on-disk format of the file decision log. After an 8-byte header, each record is
/// <c>[int32 length][payload][uint32 CRC-32 of payload]</c>, little-endian. Payload: <c>[kind][16-byte txid]</c> and, for a
/// commit, <c>[int64 decided-at, Unix ms][uint16 branch count]([uint16 len][resource UTF-8][uint16 len][global id UTF-8])*</c>.
/// Reading is in two steps: whether a record is intact (length and checksum) and then whether it decodes; the log decides
/// from both, and from what follows, whether an unreadable record is a torn append or damage (see <c>DecisionLogScan</c>).
/// </summary>
internal static class DecisionRecordFormat
{
    public const int MaxPayload = 1 << 20;

    /// <summary>A forget record's payload, the smallest there is: the kind byte and the transaction id.</summary>
    public const int MinPayload = 17;

    private static readonly long MinUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public const byte CommitKind = 1;

    public const byte ForgetKind = 2;

    public static ReadOnlySpan<byte> Header => "DPTXLOG1"u8;

    public static void WriteCommit(IBufferWriter<byte> output, CommitDecision decision)
    {
        var payloadLength = 1 + 16 + 8 + 2;
        foreach (var branch in decision.Branches)
        {
            payloadLength += 4 + Encoding.UTF8.GetByteCount(branch.ResourceName) + Encoding.UTF8.GetByteCount(branch.GlobalId);
        }

        if (payloadLength > MaxPayload || decision.Branches.Count > ushort.MaxValue)
        {
            throw new ArgumentException($"The decision for transaction {decision.TransactionId:N} is too large for one log record ({payloadLength} bytes).", nameof(decision));
        }

        var span = output.GetSpan(payloadLength + 8);
        BinaryPrimitives.WriteInt32LittleEndian(span, payloadLength);
        var payload = span.Slice(4, payloadLength);
        payload[0] = CommitKind;
        decision.TransactionId.TryWriteBytes(payload.Slice(1, 16));
        BinaryPrimitives.WriteInt64LittleEndian(payload.Slice(17), decision.DecidedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16LittleEndian(payload.Slice(25), (ushort)decision.Branches.Count);
        var position = 27;
        foreach (var branch in decision.Branches)
        {
            position += WriteString(payload[position..], branch.ResourceName);
            position += WriteString(payload[position..], branch.GlobalId);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(4 + payloadLength), Crc32.HashToUInt32(payload));
        output.Advance(payloadLength + 8);
    }

    public static void WriteForget(IBufferWriter<byte> output, Guid transactionId)
    {
        const int payloadLength = 17;
        var span = output.GetSpan(payloadLength + 8);
        BinaryPrimitives.WriteInt32LittleEndian(span, payloadLength);
        var payload = span.Slice(4, payloadLength);
        payload[0] = ForgetKind;
        transactionId.TryWriteBytes(payload.Slice(1, 16));
        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(4 + payloadLength), Crc32.HashToUInt32(payload));
        output.Advance(payloadLength + 8);
    }

    /// <summary>
    /// Whether a whole record (length in range, every byte present, checksum right) starts at <paramref name="data"/>;
    /// its size in <paramref name="size"/>. Says nothing about whether its payload makes sense.
    /// </summary>
    public static bool IsIntact(ReadOnlySpan<byte> data, out int size)
    {
        size = 0;
        if (data.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < MinPayload || length > MaxPayload || data.Length < 4 + length + 4)
        {
            return false;
        }

        if (Crc32.HashToUInt32(data.Slice(4, length)) != BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4 + length)))
        {
            return false;
        }

        size = 4 + length + 4;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="tail"/> (everything from an unreadable record to the end of the file) is exactly one record
    /// whose checksum matches its payload, whatever its length field says: all of its bytes reached the disk, so it was
    /// damaged afterwards rather than torn by a crash during the append (a torn append leaves a record short).
    /// </summary>
    public static bool IsCompleteRecordWithDamagedLength(ReadOnlySpan<byte> tail) =>
        tail.Length >= 4 + MinPayload + 4
        && Crc32.HashToUInt32(tail[4..^4]) == BinaryPrimitives.ReadUInt32LittleEndian(tail[^4..]);

    /// <summary>
    /// Decodes the intact record at the start of <paramref name="data"/> (see <see cref="IsIntact"/>). Returns null when it
    /// decodes, otherwise why not: its checksum is right, so the bytes are what some writer put there, yet they are not a
    /// record this version can use (an unknown kind, a field out of range, a string running past the payload).
    /// </summary>
    public static string? Decode(ReadOnlySpan<byte> data, out byte kind, out Guid transactionId, out CommitDecision? decision)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        var payload = data.Slice(4, length);
        kind = payload[0];
        transactionId = new Guid(payload.Slice(1, 16));
        decision = null;
        if (kind == ForgetKind)
        {
            return null;
        }

        if (kind != CommitKind)
        {
            return $"its kind byte is {kind}, neither a commit ({CommitKind}) nor a forget ({ForgetKind})";
        }

        if (length < 27)
        {
            return $"a commit record needs at least 27 payload bytes, this one has {length}";
        }

        var decidedAtMs = BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(17));
        if (decidedAtMs < MinUnixMilliseconds || decidedAtMs > MaxUnixMilliseconds)
        {
            return $"its decision time ({decidedAtMs} ms after 1970-01-01) is outside the dates .NET can represent";
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(25));
        var branches = new CommitBranch[count];
        var position = 27;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadString(payload, ref position, out var resource) || !TryReadString(payload, ref position, out var globalId))
            {
                return $"branch {i + 1} of {count} runs past the end of the record";
            }

            branches[i] = new CommitBranch(resource, globalId);
        }

        if (position != payload.Length)
        {
            return $"{payload.Length - position} bytes follow its last branch";
        }

        decision = new CommitDecision(transactionId, DateTimeOffset.FromUnixTimeMilliseconds(decidedAtMs), branches);
        return null;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)written);
        return 2 + written;
    }

    private static bool TryReadString(ReadOnlySpan<byte> payload, ref int position, out string value)
    {
        value = string.Empty;
        if (payload.Length < position + 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[position..]);
        if (payload.Length < position + 2 + length)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(payload.Slice(position + 2, length));
        position += 2 + length;
        return true;
    }
}
