namespace DataPatterns.Transactions;

/// <summary>
/// One pass over a decision log's bytes that sorts them into readable records, damaged ranges and a torn tail. The line
/// between the last two is what keeps a damaged file from silently losing decisions:
/// <list type="bullet">
/// <item>An unreadable record followed, anywhere later, by an intact record (length and checksum right) is damage: a
/// crash during an append can only cut the end of the file, so something changed bytes that were already written.</item>
/// <item>An unreadable stretch that runs to the end of the file is a torn append (a crash before the fsync that would have
/// acknowledged it) unless it holds a whole record whose checksum matches its payload: every byte of that record reached
/// the disk, so it was damaged afterwards (a flipped length field, say), not torn.</item>
/// <item>An intact record that does not decode (an unknown kind, a date out of range) is damage too: its checksum says
/// the bytes are the ones written.</item>
/// </list>
/// </summary>
internal sealed class DecisionLogScan
{
    private DecisionLogScan()
    {
    }

    /// <summary>The readable records in file order.</summary>
    public List<Entry> Records { get; } = [];

    /// <summary>The damaged byte ranges in file order (the header counts when it is wrong).</summary>
    public List<DamagedRange> Damage { get; } = [];

    /// <summary>Where a torn last append starts (everything from here is cut), or -1 when the file ends cleanly.</summary>
    public long TornTailAt { get; private set; } = -1;

    /// <summary>Whether the file is empty or a crash interrupted its creation before anything else was written.</summary>
    public bool IsUnwritten { get; private set; }

    /// <summary>Where the readable data ends: the next append goes here.</summary>
    public long End { get; private set; }

    /// <summary>Whether the first eight bytes are the header.</summary>
    public bool HeaderIntact { get; private set; } = true;

    /// <summary>Sorts <paramref name="data"/> (a whole file) into records, damage and a torn tail.</summary>
    public static DecisionLogScan Of(ReadOnlySpan<byte> data)
    {
        var scan = new DecisionLogScan();
        var header = DecisionRecordFormat.Header;
        if (data.Length <= header.Length && IsUnwrittenHeader(data))
        {
            // The file was created and the crash came before (or during) the header's write: no record can exist.
            scan.IsUnwritten = true;
            return scan;
        }

        if (!data[..Math.Min(header.Length, data.Length)].SequenceEqual(header))
        {
            scan.HeaderIntact = false;
        }

        scan.Walk(data, Math.Min(header.Length, data.Length));
        return scan;
    }

    /// <summary>How many readable commit decisions follow <paramref name="offset"/>.</summary>
    public int CommitsAfter(long offset) => Records.Count(r => r.Offset > offset && r.Kind == DecisionRecordFormat.CommitKind);

    private void Walk(ReadOnlySpan<byte> data, int offset)
    {
        while (offset < data.Length)
        {
            var rest = data[offset..];
            if (DecisionRecordFormat.IsIntact(rest, out var size))
            {
                var problem = DecisionRecordFormat.Decode(rest, out var kind, out var id, out var decision);
                if (problem is null)
                {
                    Records.Add(new Entry(offset, size, kind, id, decision));
                }
                else
                {
                    Damage.Add(new DamagedRange(offset, size, $"the record is intact but unusable: {problem}", id));
                }

                offset += size;
                continue;
            }

            var next = FindNextIntact(data, offset + 1);
            if (next >= 0)
            {
                Damage.Add(new DamagedRange(offset, next - offset, "the record is unreadable and intact records follow it" + LooksLike(rest), LikelyId(rest)));
                offset = next;
                continue;
            }

            if (DecisionRecordFormat.IsCompleteRecordWithDamagedLength(rest))
            {
                Damage.Add(new DamagedRange(offset, rest.Length, "the last record is complete but its length field is wrong" + LooksLike(rest), LikelyId(rest)));
            }
            else if (HasCompleteLength(rest))
            {
                Damage.Add(new DamagedRange(offset, rest.Length, "the last record is complete (all its bytes are present) but its checksum is wrong" + LooksLike(rest), LikelyId(rest)));
            }
            else
            {
                TornTailAt = offset;
            }

            break;
        }

        End = TornTailAt >= 0 ? TornTailAt : data.Length;
    }

    /// <summary>The first offset from <paramref name="from"/> where an intact record starts, or -1.</summary>
    private static int FindNextIntact(ReadOnlySpan<byte> data, int from)
    {
        for (var offset = from; offset <= data.Length - (4 + DecisionRecordFormat.MinPayload + 4); offset++)
        {
            if (DecisionRecordFormat.IsIntact(data[offset..], out _))
            {
                return offset;
            }
        }

        return -1;
    }

    /// <summary>Whether the length field is in range and the tail holds exactly that many bytes (only the checksum fails).</summary>
    private static bool HasCompleteLength(ReadOnlySpan<byte> tail)
    {
        if (tail.Length < 4)
        {
            return false;
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        return length >= DecisionRecordFormat.MinPayload && length <= DecisionRecordFormat.MaxPayload && tail.Length == 4 + length + 4;
    }

    /// <summary>The transaction id where it would be in a record, for the operator to look up (it may be damaged too).</summary>
    private static Guid? LikelyId(ReadOnlySpan<byte> rest) =>
        rest.Length >= 4 + DecisionRecordFormat.MinPayload && rest[4] is DecisionRecordFormat.CommitKind or DecisionRecordFormat.ForgetKind
            ? new Guid(rest.Slice(5, 16))
            : null;

    /// <summary>What the kind byte says the record was, when it is one of the two (it may be damaged too).</summary>
    private static string LooksLike(ReadOnlySpan<byte> rest) => rest.Length < 5 ? string.Empty : rest[4] switch
    {
        DecisionRecordFormat.CommitKind => "; it looks like a commit decision",
        DecisionRecordFormat.ForgetKind => "; it looks like a forget record (losing one is harmless: recovery forgets that decision again)",
        _ => string.Empty,
    };

    private static bool IsUnwrittenHeader(ReadOnlySpan<byte> data)
    {
        var header = DecisionRecordFormat.Header;
        return data.SequenceEqual(header[..data.Length]) || !data.ContainsAnyExcept((byte)0);
    }

    /// <summary>A readable record.</summary>
    public readonly record struct Entry(long Offset, int Size, byte Kind, Guid TransactionId, CommitDecision? Decision);

    /// <summary>Bytes that could not be read, why, and the transaction id they may have held.</summary>
    public readonly record struct DamagedRange(long Offset, long Length, string Reason, Guid? LikelyTransactionId);
}
