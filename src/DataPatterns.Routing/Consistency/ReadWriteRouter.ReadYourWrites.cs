using System.Data.Common;

namespace DataPatterns.Routing;

// Read-your-writes: a read with a consistency token waits, for at most ReadYourWritesWait, for a replica that has
// replayed it.
public sealed partial class ReadWriteRouter
{
    private async ValueTask<DbConnection?> WaitForReplayAsync(RoutingNode node, ConsistencyToken token, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        DbConnection? connection = null;
        try
        {
            connection = await OpenOnAsync(node, cancellationToken).ConfigureAwait(false);
            node.LastSuccessAt = _time.GetTimestamp();
            while (true)
            {
                var replayed = await _probe.GetReplayPositionAsync(connection, cancellationToken).ConfigureAwait(false);
                node.ObservePosition(replayed);
                if (replayed >= token)
                {
                    node.Track(connection);
                    Count(node, RoutingIntent.Read, null);
                    var ready = connection;
                    connection = null;
                    return ready;
                }

                var remaining = _readYourWritesWait - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    return null;
                }

                await Task.Delay(remaining < _readYourWritesPoll ? remaining : _readYourWritesPoll, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NodeOverloadedException)
        {
            // The replica's limit is full: the read still has the primary to go to.
            return null;
        }
        catch (Exception ex) when (IsConnectFailure(ex, cancellationToken))
        {
            // Overloaded or not, the read still has the primary to go to.
            _ = OnOpenFailure(node, ex, cancellationToken);
            return null;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
