using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>
/// A <see cref="DbDataSource"/> whose every connection is routed by a <see cref="ReadWriteRouter"/> for one intent, so
/// Dapper, raw ADO.NET and anything else that takes a data source or a connection uses the router unchanged.
/// Disposing it does nothing: the router owns the node data sources.
/// </summary>
public sealed class RoutingDataSource : DbDataSource
{
    private readonly ReadWriteRouter _router;
    private readonly RoutingSession? _session;

    internal RoutingDataSource(ReadWriteRouter router, RoutingIntent intent, RoutingSession? session)
    {
        _router = router;
        _session = session;
        Intent = intent;
    }

    /// <summary>The intent every connection of this data source is routed for.</summary>
    public RoutingIntent Intent { get; }

    /// <summary>The router.</summary>
    public ReadWriteRouter Router => _router;

    /// <summary>The connection string of the node this data source would route to now (for display; routing happens per connection).</summary>
    public override string ConnectionString => _router.DescribeConnectionString(Intent);

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() =>
        _session is not null ? _session.CreateConnection(Intent) : _router.CreateConnection(Intent);

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection()
    {
        if (_session is not null)
        {
            var connection = _session.CreateConnection(Intent);
            try
            {
                connection.Open();
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        return _router.OpenConnection(Intent, ConsistencyToken.None);
    }

    /// <inheritdoc />
    protected override ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default) =>
        _session is not null
            ? _session.OpenConnectionAsync(Intent, cancellationToken)
            : _router.OpenConnectionAsync(Intent, cancellationToken);
}
