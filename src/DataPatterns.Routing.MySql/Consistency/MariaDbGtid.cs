using System.Globalization;

namespace DataPatterns.Routing.MySql;

/// <summary>One MariaDB global transaction id, <c>domain-server-sequence</c> (<c>0-1-4876</c>).</summary>
/// <param name="DomainId">The replication domain (<c>gtid_domain_id</c>); transactions of one domain are applied in order.</param>
/// <param name="ServerId">The <c>server_id</c> of the server that wrote it.</param>
/// <param name="SequenceNumber">The sequence number, increasing within the domain.</param>
public readonly record struct MariaDbGtid(uint DomainId, uint ServerId, ulong SequenceNumber)
{
    /// <summary>The text form, <c>domain-server-sequence</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{DomainId}-{ServerId}-{SequenceNumber}");
}
