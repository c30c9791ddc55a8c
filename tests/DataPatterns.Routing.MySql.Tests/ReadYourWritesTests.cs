using DataPatterns.Testing;
using FsCheck;
using FsCheck.Xunit;
using Xunit.Abstractions;

namespace DataPatterns.Routing.MySql.Tests;

/// <summary>Insert on the primary, read back at once through the router: the GTID wait finds the row every time.</summary>
public sealed class ReadYourWritesTests(ITestOutputHelper output) : InsertThenReadTest
{
    [Fact]
    public async Task With_read_your_writes_every_read_after_a_write_sees_it()
    {
        await using var router = NewRouter(readYourWrites: true);
        var (found, fromReplica) = await RunAsync(router);
        output.WriteLine($"read-your-writes on (MASTER_GTID_WAIT up to 1 s): {found}/{Iterations} found, {fromReplica} answered by the replica, {Iterations - fromReplica} by the primary");
        Assert.Equal(Iterations, found);
        Assert.True(fromReplica > 0, "with a 1 s wait the replica, which replays in about a millisecond, should serve reads");
    }

    [Fact]
    public async Task A_token_carried_to_the_next_request_keeps_its_read_consistent()
    {
        await using var router = NewRouter(readYourWrites: true, wait: TimeSpan.FromSeconds(1));
        var first = router.CreateSession();
        await using (var write = await first.OpenWriteConnectionAsync())
        {
            await Sql.ScalarAsync(write, $"INSERT INTO {Table} VALUES (-42, 'carried')");
        }

        var cookie = (await first.GetTokenAsync()).ToString();
        var next = router.CreateSession();
        Assert.True(next.TryObserve(cookie));
        await using var read = await next.OpenReadConnectionAsync();
        Assert.Equal("carried", await Sql.ScalarAsync(read, $"SELECT placed_by FROM {Table} WHERE id = -42"));
    }

    [Property(MaxTest = 25)]
    public async Task<bool> A_read_with_the_token_of_a_write_never_sees_older_data(PositiveInt[] values)
    {
        await using var router = NewRouter(readYourWrites: true, wait: TimeSpan.FromSeconds(1));
        var row = Random.Shared.NextInt64(1_000_000, long.MaxValue);
        foreach (var value in (values ?? []).Take(8))
        {
            var writer = router.CreateSession();
            await using (var write = await writer.OpenWriteConnectionAsync())
            {
                await Sql.ScalarAsync(write, $"REPLACE INTO {Table} VALUES (@id, @v)", ("id", row), ("v", value.Get.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            // The next request of the same user carries only the cookie.
            var reader = router.CreateSession();
            reader.Observe(ConsistencyToken.Parse((await writer.GetTokenAsync()).ToString()));
            await using var read = await reader.OpenReadConnectionAsync();
            if ((string?)await Sql.ScalarAsync(read, $"SELECT placed_by FROM {Table} WHERE id = @id", ("id", row)) != value.Get.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
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
        var (found, fromReplica) = await RunAsync(router);
        output.WriteLine($"read-your-writes off: {Iterations - found}/{Iterations} reads missed the row just written ({fromReplica} answered by the replica)");
        Assert.Equal(Iterations, fromReplica);
    }
}

/// <summary>A table of its own on the shared primary (replicated to the replica), and the insert-then-read loop.</summary>
public abstract class InsertThenReadTest : IAsyncLifetime
{
    protected const int Iterations = 1000;
    private static readonly string Primary = TestServers.MariaDbPrimary.ConnectionString;
    private static readonly string Replica = TestServers.MariaDbReplica.ConnectionString;
    private static readonly int ReplicaPort = Sql.PortOf(Replica);

    protected string Table { get; } = Sql.NewTable("ryw");

    public async Task InitializeAsync()
    {
        await Sql.ScalarAsync(Primary, $"CREATE TABLE {Table} (id BIGINT PRIMARY KEY, placed_by VARCHAR(40) NOT NULL)");
        await Sql.CatchUpAsync(Primary, Replica);
    }

    public async Task DisposeAsync() => await Sql.ScalarAsync(Primary, $"DROP TABLE IF EXISTS {Table}");

    protected static ReadWriteRouter NewRouter(bool readYourWrites, TimeSpan? wait = null)
    {
        var options = Sql.Options(Primary, Replica, NodeRole.Primary);
        options.ReadYourWrites = readYourWrites;
        options.ReadYourWritesWait = wait ?? TimeSpan.FromSeconds(1);
        options.MaxReplicaLag = null; // other test projects load the shared servers; the lag bound has its own test
        return new ReadWriteRouter("ryw", options);
    }

    /// <summary>One session per iteration, as one per request: insert through its writes, read back through its reads.</summary>
    protected async Task<(int Found, int FromReplica)> RunAsync(ReadWriteRouter router)
    {
        var found = 0;
        var fromReplica = 0;
        for (var id = 1; id <= Iterations; id++)
        {
            var session = router.CreateSession();
            await using (var write = await session.Writes.OpenConnectionAsync())
            {
                await Sql.ScalarAsync(write, $"INSERT INTO {Table} VALUES (@id, 'me')", ("id", id));
            }

            await using var read = await session.Reads.OpenConnectionAsync();
            await using var command = read.CreateCommand();
            command.CommandText = $"SELECT COUNT(*), @@port FROM {Table} WHERE id = {id}";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            found += reader.GetInt64(0) == 1 ? 1 : 0;
            fromReplica += reader.GetInt32(1) == ReplicaPort ? 1 : 0;
        }

        return (found, fromReplica);
    }
}
