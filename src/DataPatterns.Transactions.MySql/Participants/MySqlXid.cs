using System.Text;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// The XA transaction id (formatID, gtrid, bqual) of a branch, derived from its global id without loss so that
/// <c>XA RECOVER</c> gives the global id back: the global id's bytes are split into gtrid (the transaction part,
/// <c>prefix:node:txid</c>, up to 64 bytes) and bqual (the rest, <c>:branch</c>, up to 64 bytes). Both reach SQL only as
/// <c>X'hex'</c> literals, so no byte of a global id is ever parsed as SQL.
/// </summary>
internal readonly struct MySqlXid
{
    /// <summary>
    /// The formatID that marks this package's branches ("DP2C"); recovery never touches an XA branch with another one,
    /// such as a branch of an application server's own transaction manager on the same database.
    /// </summary>
    public const int FormatId = 0x44503243;

    /// <summary>MariaDB's and MySQL's limit on gtrid and on bqual, in bytes.</summary>
    public const int MaxPartBytes = 64;

    /// <summary>The longest global id an xid can carry (gtrid and bqual together).</summary>
    public const int MaxGlobalIdBytes = 2 * MaxPartBytes;

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-.~");

    private MySqlXid(string globalId, byte[] gtrid, byte[] bqual)
    {
        GlobalId = globalId;
        Gtrid = gtrid;
        Bqual = bqual;
    }

    public string GlobalId { get; }

    public byte[] Gtrid { get; }

    public byte[] Bqual { get; }

    /// <summary>The xid as the XA statements take it: <c>X'…',X'…',formatID</c>.</summary>
    public string SqlLiteral => $"X'{Convert.ToHexString(Gtrid)}',X'{Convert.ToHexString(Bqual)}',{FormatId}";

    /// <summary>The xid of <paramref name="globalId"/>.</summary>
    /// <exception cref="ArgumentException">The global id has characters this package never writes, or is longer than an xid holds.</exception>
    public static MySqlXid From(string globalId)
    {
        ArgumentNullException.ThrowIfNull(globalId);
        if (globalId.Length == 0 || globalId.AsSpan().ContainsAnyExcept(Allowed))
        {
            throw new ArgumentException($"'{globalId}' is not a valid global id: this package only writes A-Z a-z 0-9 : _ - . ~ into XA ids.", nameof(globalId));
        }

        var bytes = Encoding.ASCII.GetBytes(globalId);
        if (bytes.Length > MaxGlobalIdBytes)
        {
            throw new ArgumentException($"The global id '{globalId}' is {bytes.Length} bytes; an XA id holds at most {MaxGlobalIdBytes} (gtrid and bqual, {MaxPartBytes} each). Use a shorter Prefix or NodeId (TwoPhaseCommitOptions): together they may take {MaxCoordinatorPrefixBytes} bytes with the colons.", nameof(globalId));
        }

        // gtrid: everything up to the last ':' (the transaction), bqual: from it on (the branch). A transaction part
        // longer than 64 bytes gives its tail to bqual; the concatenation is the global id either way.
        var split = Math.Min(globalId.LastIndexOf(':') is var colon and > 0 ? colon : bytes.Length - 1, MaxPartBytes);
        if (bytes.Length - split > MaxPartBytes)
        {
            split = bytes.Length - MaxPartBytes;
        }

        return new MySqlXid(globalId, bytes[..split], bytes[split..]);
    }

    /// <summary>The longest <c>prefix:node:</c> whose global ids fit an xid (a 32-digit txid, ':' and up to 4 branch digits follow).</summary>
    public const int MaxCoordinatorPrefixBytes = MaxGlobalIdBytes - 32 - 1 - 4;

    /// <summary>
    /// Reads a row of <c>XA RECOVER</c> back into a global id. Returns false for a branch that is not this package's
    /// (another formatID); throws for one that carries this package's formatID but bytes it never writes.
    /// </summary>
    /// <exception cref="InvalidDataException">The row does not make sense (lengths out of range, bytes outside the global-id alphabet).</exception>
    public static bool TryRead(long formatId, long gtridLength, long bqualLength, byte[] data, out string globalId)
    {
        globalId = string.Empty;
        if (formatId != FormatId)
        {
            return false;
        }

        if (gtridLength is < 1 or > MaxPartBytes || bqualLength is < 0 or > MaxPartBytes || gtridLength + bqualLength != data.Length)
        {
            throw new InvalidDataException($"XA RECOVER returned a branch with this package's formatID {FormatId} but gtrid_length {gtridLength}, bqual_length {bqualLength} and {data.Length} data bytes (0x{Convert.ToHexString(data)}); only DataPatterns.Transactions.MySql should use formatID {FormatId}. Resolve that branch by hand (XA COMMIT/XA ROLLBACK with its xid).");
        }

        foreach (var b in data)
        {
            if (b > 127 || !Allowed.Contains((char)b))
            {
                throw new InvalidDataException($"XA RECOVER returned a branch with this package's formatID {FormatId} whose data (0x{Convert.ToHexString(data)}) is not a global id this package writes; only DataPatterns.Transactions.MySql should use formatID {FormatId}. Resolve that branch by hand.");
            }
        }

        globalId = Encoding.ASCII.GetString(data);
        return true;
    }
}
