using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DataPatterns.Caching.Memcached.Client;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>
/// Every byte from the server is untrusted: a hostile "server" (a socket that answers what the test says, after reading
/// each command line) sends malformed answers; the command fails with a protocol error, the connection is closed, and
/// no value is ever handed to the wrong key.
/// </summary>
public class MalformedAnswerTests
{
    [Theory]
    [InlineData("VA 5 O1\r\nhello\r\n", null)] // well formed: the control case
    [InlineData("VA 5 O2\r\nhello\r\n", "opaque token")] // another command's answer
    [InlineData("VA 5\r\nhello\r\n", "without the opaque token")]
    [InlineData("VA 99999999999 O1\r\n", "value length")]
    [InlineData("VA -1 O1\r\n", "value length")]
    [InlineData("VA 5 O1\r\nhelloXX", "not followed by CRLF")]
    [InlineData("VA 3 O1 k\r\nabc\r\n", "return flag 'k'")]
    [InlineData("HD O1\r\n", "in answer to Get")]
    [InlineData("XX O1\r\n", "in answer to Get")]
    [InlineData("CLIENT_ERROR bad command line format\r\n", "CLIENT_ERROR")]
    [InlineData("EN O1\nVA", "CRLF")]
    public async Task A_malformed_answer_fails_the_command_with_a_protocol_error_and_never_serves_a_value(string answer, string? expected)
    {
        await using var server = await HostileServer.StartAsync([answer]);
        await using var client = Clients.For([server.Address], o => o.ConnectionsPerServer = 1);
        var buffer = new ArrayBufferWriter<byte>();

        if (expected is null)
        {
            Assert.Equal(MetaStatus.Hit, (await client.GetAsync("k", buffer)).Status);
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer.WrittenSpan));
            return;
        }

        var error = await Assert.ThrowsAsync<MemcachedProtocolException>(async () => await client.GetAsync("k", buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, buffer.WrittenCount);
    }

    [Fact]
    public async Task An_endless_line_is_cut_off_at_the_line_limit()
    {
        await using var server = await HostileServer.StartAsync([new string('A', 100_000)]);
        await using var client = Clients.For([server.Address], o => o.ConnectionsPerServer = 1);

        var error = await Assert.ThrowsAsync<MemcachedProtocolException>(async () => await client.GetAsync("k", new ArrayBufferWriter<byte>()).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("longer than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_malformed_answer_the_next_command_gets_a_new_connection_and_its_own_answer()
    {
        await using var server = await HostileServer.StartAsync(["VA 5 O2\r\nwrong\r\n", "VA 5 O1\r\nright\r\n"]);
        await using var client = Clients.For([server.Address], o => o.ConnectionsPerServer = 1);
        await Assert.ThrowsAsync<MemcachedProtocolException>(async () => await client.GetAsync("k", new ArrayBufferWriter<byte>()));

        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync("k", buffer)).Status);
        Assert.Equal("right", Encoding.ASCII.GetString(buffer.WrittenSpan));
    }

    /// <summary>Accepts connections in turn; on the n-th it reads one command line and sends the n-th answer, then waits.</summary>
    private sealed class HostileServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;

        public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public static Task<HostileServer> StartAsync(IReadOnlyList<string> answers)
        {
            var server = new HostileServer();
            server._listener.Start();
            server._serving = server.ServeAsync(answers);
            return Task.FromResult(server);
        }

        private async Task ServeAsync(IReadOnlyList<string> answers)
        {
            var sockets = new List<Socket>();
            try
            {
                foreach (var answer in answers)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    sockets.Add(socket);
                    var line = new List<byte>();
                    var one = new byte[1];
                    while (!line.EndsWith((byte)'\n') && await socket.ReceiveAsync(one, _stop.Token) == 1)
                    {
                        line.Add(one[0]);
                    }

                    await socket.SendAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                }

                await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _serving;
            _listener.Stop();
            _stop.Dispose();
        }
    }
}

internal static class ListExtensions
{
    public static bool EndsWith(this List<byte> list, byte value) => list.Count > 0 && list[^1] == value;
}
