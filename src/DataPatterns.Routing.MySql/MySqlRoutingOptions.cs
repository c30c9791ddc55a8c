namespace DataPatterns.Routing.MySql;

/// <summary>MariaDB/MySQL settings of a router (see <c>UseMySql(o => ...)</c>).</summary>
public sealed class MySqlRoutingOptions
{
    /// <summary>
    /// The GTID replication domain the primary writes in (<c>@@gtid_domain_id</c>), in which read-your-writes tokens are
    /// sequence numbers. Default 0, MariaDB's default. While the primary's <c>@@gtid_binlog_pos</c> holds any other domain,
    /// read-your-writes reads go to the primary (see <see cref="MariaDbConsistencyTokens"/>).
    /// </summary>
    public uint GtidDomainId { get; set; }

    /// <summary>Which server family the nodes run. Default <see cref="MySqlDialect.Auto"/> (told by the server version).</summary>
    public MySqlDialect Dialect { get; set; } = MySqlDialect.Auto;
}
