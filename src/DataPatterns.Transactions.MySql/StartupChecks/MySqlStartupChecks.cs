using MySqlConnector;

namespace DataPatterns.Transactions.MySql;

/// <summary>
/// What <see cref="MySqlTransactionResource.ValidateAsync"/> checks at host start, each failure naming its fix: the server
/// answers; it keeps prepared XA branches across a disconnect (MariaDB 10.5.2 and later, MySQL 5.7.7 and later); XA is
/// on (<c>innodb_support_xa</c>, where the server still has it); the default engine is InnoDB; every table of the
/// database is transactional (an XA branch cannot roll back a MyISAM or Aria write); the user may run <c>XA RECOVER</c>.
/// </summary>
internal static class MySqlStartupChecks
{
    public static async ValueTask ValidateAsync(MySqlTransactionResource resource, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(resource, cancellationToken).ConfigureAwait(false);
        var variables = await ReadVariablesAsync(connection, cancellationToken).ConfigureAwait(false);
        CheckVersion(resource.Name, variables.GetValueOrDefault("version", string.Empty));
        if (variables.TryGetValue("innodb_support_xa", out var supportXa) && !IsOn(supportXa))
        {
            throw new XaTransactionsUnavailableException(resource.Name, "innodb_support_xa is OFF, so InnoDB does not take part in XA. Set innodb_support_xa=ON in the server's configuration (my.cnf) and restart it.");
        }

        if (!string.Equals(variables.GetValueOrDefault("default_storage_engine"), "InnoDB", StringComparison.OrdinalIgnoreCase))
        {
            throw new XaTransactionsUnavailableException(resource.Name, $"the default storage engine is {variables.GetValueOrDefault("default_storage_engine")}, which XA cannot roll back: a table created without ENGINE= would silently keep writes of rolled-back transactions. Set default_storage_engine=InnoDB in the server's configuration.");
        }

        await CheckTablesAsync(resource.Name, connection, cancellationToken).ConfigureAwait(false);
        await CheckRecoverPrivilegeAsync(resource.Name, connection, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<MySqlConnection> OpenAsync(MySqlTransactionResource resource, CancellationToken cancellationToken)
    {
        try
        {
            return await resource.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var settings = new MySqlConnectionStringBuilder(resource.DataSource.ConnectionString);
            throw new MySqlParticipantUnreachableException(resource.Name, settings.Server ?? "(no host)", settings.Port, settings.Database ?? string.Empty, ex);
        }
    }

    private static async ValueTask<Dictionary<string, string>> ReadVariablesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'innodb_support_xa', 'default_storage_engine', 'log_bin')", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            variables[reader.GetString(0)] = reader.GetString(1);
        }

        return variables;
    }

    /// <summary>Before MariaDB 10.5.2 a prepared XA branch was rolled back when its session ended, which breaks 2PC.</summary>
    internal static void CheckVersion(string resourceName, string version)
    {
        var isMariaDb = version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        var numbers = version.Split('-')[0].Split('.');
        if (numbers.Length < 3 || !int.TryParse(numbers[0], out var major) || !int.TryParse(numbers[1], out var minor) || !int.TryParse(numbers[2], out var patch))
        {
            throw new XaTransactionsUnavailableException(resourceName, $"the server reports the version '{version}', which this package cannot read; it needs MariaDB 10.5.2 or later (or MySQL 5.7.7 or later).");
        }

        var (needMajor, needMinor, needPatch) = isMariaDb ? (10, 5, 2) : (5, 7, 7);
        if ((major, minor, patch).CompareTo((needMajor, needMinor, needPatch)) < 0)
        {
            throw new XaTransactionsUnavailableException(resourceName, $"the server is {version}; before {(isMariaDb ? "MariaDB 10.5.2" : "MySQL 5.7.7")} a prepared XA branch is rolled back when its connection closes, so a coordinator crash between prepare and commit could lose one side of a committed transaction. Upgrade the server.");
        }
    }

    private static async ValueTask CheckTablesAsync(string resourceName, MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(
            "SELECT table_name, engine FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND engine IS NOT NULL AND engine NOT IN ('InnoDB', 'XtraDB') ORDER BY table_name LIMIT 10",
            connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var tables = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add($"`{reader.GetString(0).Replace("`", "``", StringComparison.Ordinal)}` ({reader.GetString(1)})");
        }

        if (tables.Count > 0)
        {
            throw new XaTransactionsUnavailableException(resourceName, $"the database has tables that XA cannot roll back: {string.Join(", ", tables)}. A write to one of them inside a branch stays even when the transaction rolls back. Convert them with ALTER TABLE ... ENGINE=InnoDB, or move them to another database.");
        }
    }

    private static async ValueTask CheckRecoverPrivilegeAsync(string resourceName, MySqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new MySqlCommand("XA RECOVER", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Only whether the user may list prepared branches matters here.
            }
        }
        catch (MySqlException ex) when (ex.Number is 1227 or 1044 or 1142)
        {
            throw new XaTransactionsUnavailableException(resourceName, $"the user may not run XA RECOVER ({ex.Message}), so recovery could not find prepared branches. Grant the user what the server requires for XA RECOVER (MySQL 8: XA_RECOVER_ADMIN; otherwise SUPER).", ex);
        }
    }

    private static bool IsOn(string value) => value.Equals("ON", StringComparison.OrdinalIgnoreCase) || value == "1";
}
