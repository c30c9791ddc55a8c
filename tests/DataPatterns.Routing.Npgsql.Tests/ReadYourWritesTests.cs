using DataPatterns.Testing;
using Xunit.Abstractions;

namespace DataPatterns.Routing.Npgsql.Tests;

/// <summary>Insert on the primary, read back at once through the router: read-your-writes finds the row every time.</summary>
public sealed class ReadYourWritesTests(ITestOutputHelper output) : InsertThenReadTest
{
    [Fact]
    public async Task With_read_your_writes_every_read_after_a_write_sees_it()
    {
        await using var router = NewRouter(readYourWrites: true);
        var (found, fromReplica) = await RunAsync(router, firstId: 1);
        output.WriteLine($"read-your-writes on: {found}/{Iterations} found, {fromReplica} answered by the replica, {Iterations - fromReplica} by the primary");
        Assert.Equal(Iterations, found);
        Assert.True(fromReplica > 0, "with a 200 ms wait the replica, which replays in about a millisecond, should serve some reads");
    }

    [Fact]
    public async Task A_token_carried_to_the_next_request_keeps_its_read_consistent()
    {
        await using var router = NewRouter(readYourWrites: true, wait: TimeSpan.Zero);
        var first = router.CreateSession();
        await using (var write = await first.OpenWriteConnectionAsync())
        {
            await Sql.ScalarAsync(write, "INSERT INTO orders VALUES (-42, 'carried')");
        }

        var cookie = (await first.GetTokenAsync()).ToString();
        var next = router.CreateSession();
        Assert.True(next.TryObserve(cookie));
        await using var read = await next.OpenReadConnectionAsync();
        Assert.Equal("carried", await Sql.ScalarAsync(read, "SELECT placed_by FROM orders WHERE id = -42"));
    }
}

/// <summary>
/// The same loop with read-your-writes off: every read reaches the replica, and the test reports how many miss the row
/// just written, which is why the feature exists. A class of its own so it runs beside the one above.
/// </summary>
public sealed class StaleReadTests(ITestOutputHelper output) : InsertThenReadTest
{
    [Fact]
    public async Task Without_read_your_writes_reads_go_to_the_replica_and_some_miss_the_write()
    {
        await using var router = NewRouter(readYourWrites: false);
        var (found, fromReplica) = await RunAsync(router, firstId: 1);
        output.WriteLine($"read-your-writes off: {Iterations - found}/{Iterations} reads missed the row just written ({fromReplica} answered by the replica)");
        Assert.Equal(Iterations, fromReplica);
    }
}

/// <summary>A database of its own on the shared primary (replicated to the replica), and the insert-then-read loop.</summary>
public abstract class InsertThenReadTest : IAsyncLifetime
{
    protected const int Iterations = 1000;
    private static readonly int ReplicaPort = Sql.PortOf(TestServers.Replica.ConnectionString);
    private TemporaryDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "routing_ryw");
        await Sql.ExecuteAsync(_database.ConnectionString, "CREATE TABLE orders (id bigint PRIMARY KEY, placed_by text NOT NULL)");
        await Sql.WaitUntilOpensAsync(_database.ConnectionStringOn(TestServers.Replica), TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected ReadWriteRouter NewRouter(bool readYourWrites, TimeSpan? wait = null)
    {
        var options = Sql.Options(_database.ConnectionString, _database.ConnectionStringOn(TestServers.Replica), NodeRole.Primary);
        options.ReadYourWrites = readYourWrites;
        options.ReadYourWritesWait = wait ?? TimeSpan.FromMilliseconds(200);
        options.MaxReplicaLag = null; // other test projects load the shared servers; the lag bound has its own test
        return new ReadWriteRouter("ryw", options);
    }

    /// <summary>One session per iteration, as one per request: insert through its writes, read back through its reads.</summary>
    protected static async Task<(int Found, int FromReplica)> RunAsync(ReadWriteRouter router, long firstId)
    {
        var found = 0;
        var fromReplica = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var id = firstId + i;
            var session = router.CreateSession();
            await using (var write = await session.Writes.OpenConnectionAsync())
            {
                await Sql.ScalarAsync(write, "INSERT INTO orders VALUES (@id, 'me')", ("id", id));
            }

            await using var read = await session.Reads.OpenConnectionAsync();
            await using var command = read.CreateCommand();
            command.CommandText = $"SELECT count(*), inet_server_port() FROM orders WHERE id = {id}";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            found += reader.GetInt64(0) == 1 ? 1 : 0;
            fromReplica += reader.GetInt32(1) == ReplicaPort ? 1 : 0;
        }

        return (found, fromReplica);
    }
}
