using System.Buffers;
using DataPatterns.Caching.Memcached.Client;
using DataPatterns.Testing;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// A connection closed while its answers are arriving: every command on it ends exactly once, with its answer or the
/// close's failure, and none is left pending (the cache adds no timeout of its own to a store that bounds its reads).
/// </summary>
[Collection(PrivateServers.Name)]
public class ConnectionCloseRaceTests
{
    [Fact]
    public async Task Every_command_completes_when_connections_close_while_answers_arrive()
    {
        await using var server = await PrivateMemcached.StartNewAsync();
        await using var client = Clients.For([server.Address], o =>
        {
            // Thousands in flight on one connection: the close drains a long queue while the reader still matches
            // the answers already buffered, which is when a lost command used to be taken by the wrong side.
            o.ConnectionsPerServer = 1;
            o.MaxPendingPerConnection = 4096;
            o.CommandTimeout = TimeSpan.FromSeconds(2);
        });
        await client.SetAsync("k", "value"u8.ToArray(), null);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var hung = 0;
        var completed = 0;
        var callers = Enumerable.Range(0, 2000).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.GetAsync("k", new ArrayBufferWriter<byte>()).AsTask().WaitAsync(TimeSpan.FromSeconds(8));
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref hung);
                    return;
                }
                catch (MemcachedException)
                {
                    // failed by the close: an ending, which is all this test asks for
                }

                Interlocked.Increment(ref completed);
            }
        })).ToList();

        // Closes from another thread while the reader matches answers, as the timeout sweep or a failure elsewhere does.
        // A protocol error is the reason because it closes the connection without marking the server down.
        while (!stop.IsCancellationRequested)
        {
            foreach (var connection in client.Servers[0].OpenConnections().ToList())
            {
                connection.Close(new MemcachedProtocolException("closed by the test"));
            }

            await Task.Delay(5);
        }

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, Volatile.Read(ref hung));
        Assert.True(completed > 2000, $"only {completed} calls ran");
    }
}
