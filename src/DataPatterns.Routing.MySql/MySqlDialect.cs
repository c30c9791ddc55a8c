namespace DataPatterns.Routing.MySql;

/// <summary>Which server family the nodes run: their replication variables and functions differ.</summary>
public enum MySqlDialect
{
    /// <summary>Told by each connection's server version (MariaDB says "MariaDB" in it). The default.</summary>
    Auto,

    /// <summary>MariaDB: <c>@@gtid_binlog_pos</c>, <c>@@gtid_slave_pos</c>, <c>MASTER_GTID_WAIT</c>, <c>SHOW ALL SLAVES STATUS</c>.</summary>
    MariaDb,

    /// <summary>
    /// MySQL 8: <c>@@gtid_executed</c>, <c>SHOW REPLICA STATUS</c>. Read-your-writes reads go to the primary (see
    /// docs/mariadb-routing.md: a MySQL GTID set has no exact one-number form). Not tested against a MySQL server here.
    /// </summary>
    MySql,
}
