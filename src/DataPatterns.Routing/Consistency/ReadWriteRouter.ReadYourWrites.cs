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
            if (_probe is IRoutingReplayWaiter waiter)
            {
                // The server waits (one round trip) and answers as soon as the position is replayed.
                if (!await waiter.WaitForReplayAsync(connection, token, _readYourWritesWait, cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                node.ObservePosition(token);
                return Ready(node, ref connection);
            }

            while (true)
            {
                var replayed = await _probe.GetReplayPositionAsync(connection, cancellationToken).ConfigureAwait(false);
                node.ObservePosition(replayed);
                if (replayed >= token)
                {
                    return Ready(node, ref connection);
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

    /// <summary>Hands out the connection that waited (the caller's variable is cleared so its finally does not dispose it).</summary>
    private DbConnection Ready(RoutingNode node, ref DbConnection? connection)
    {
        var ready = connection!;
        connection = null;
        node.Track(ready);
        Count(node, RoutingIntent.Read, null);
        return ready;
    }
}
