using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace DataPatterns.Transactions;

/// <summary>
/// The on-disk format of the file decision log. After an 8-byte header, each record is
/// <c>[int32 length][payload][uint32 CRC-32 of payload]</c>, little-endian. Payload: <c>[kind][16-byte txid]</c> and, for a
/// commit, <c>[int64 decided-at, Unix ms][uint16 branch count]([uint16 len][resource UTF-8][uint16 len][global id UTF-8])*</c>.
/// A record that is short or fails its checksum is where a crash interrupted an append: it and anything after it are ignored.
/// </summary>
internal static class DecisionRecordFormat
{
    public const int MaxPayload = 1 << 20;

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

    /// <summary>Reads the record at the start of <paramref name="data"/>; false when it is torn or corrupt.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out int consumed, out byte kind, out Guid transactionId, out CommitDecision? decision)
    {
        consumed = 0;
        kind = 0;
        transactionId = default;
        decision = null;
        if (data.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < 17 || length > MaxPayload || data.Length < 4 + length + 4)
        {
            return false;
        }

        var payload = data.Slice(4, length);
        if (Crc32.HashToUInt32(payload) != BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4 + length)))
        {
            return false;
        }

        kind = payload[0];
        transactionId = new Guid(payload.Slice(1, 16));
        if (kind == CommitKind)
        {
            if (length < 27)
            {
                return false;
            }

            var decidedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(17)));
            int count = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(25));
            var branches = new CommitBranch[count];
            var position = 27;
            for (var i = 0; i < count; i++)
            {
                if (!TryReadString(payload, ref position, out var resource) || !TryReadString(payload, ref position, out var globalId))
                {
                    return false;
                }

                branches[i] = new CommitBranch(resource, globalId);
            }

            decision = new CommitDecision(transactionId, decidedAt, branches);
        }
        else if (kind != ForgetKind)
        {
            return false;
        }

        consumed = 4 + length + 4;
        return true;
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
