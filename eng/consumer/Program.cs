using DataPatterns.Caching;
using DataPatterns.Cqrs;
using DataPatterns.Routing;
using DataPatterns.Sharding;
using DataPatterns.Transactions;
using DataPatterns.Transactions.MySql;
using DataPatterns.Transactions.Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using Npgsql;

// What a new user writes after reading the README: register every package with its DI call, start the host, use them.
// The servers come from eng/services.sh (the DATAPATTERNS_* variables eng/test.sh sets).
string Server(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
    ? value
    : throw new InvalidOperationException($"{name} is not set: run eng/services.sh up and eval \"$(eng/services.sh env)\".");
var (primary, replica, node2, redis) = (Server("DATAPATTERNS_PG_PRIMARY"), Server("DATAPATTERNS_PG_REPLICA"), Server("DATAPATTERNS_PG_NODE2"), Server("DATAPATTERNS_REDIS"));
var (mariaPrimary, mariaReplica, mariaNode2) = (Server("DATAPATTERNS_MARIADB_PRIMARY"), Server("DATAPATTERNS_MARIADB_REPLICA"), Server("DATAPATTERNS_MARIADB_NODE2"));
var memcached = Server("DATAPATTERNS_MEMCACHED").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var logDirectory = Directory.CreateTempSubdirectory("consumer-2pc").FullName;

var builder = Host.CreateApplicationBuilder();
builder.Services.AddSharding(sharding => sharding
    .AddShardSet<long>("orders", options => options.AddShard("orders-1").AddShard("orders-2").AddShard("orders-3"))
    .MapTo((_, shard) => $"Host=db-{shard.Name}"));
builder.Services.AddCaching(caching => caching
        .Configure(o => o.ApplicationName = $"consumer-{Environment.ProcessId}")
        .AddCache<int, string>("greetings", o => o.Expiration.Duration = TimeSpan.FromMinutes(1))
        .WithLoader(_ => new GreetingLoader()))
    .UseRedis(redis)                 // the backplane, lock and durable queue
    .UseMemcached(memcached);        // the L2
builder.Services.AddReadWriteSplitting(o => o.AddNode("primary", primary).AddNode("replica", replica)).UseNpgsql();
builder.Services.AddTwoPhaseCommit(o => { o.Prefix = "consumer"; o.NodeId = "c1"; o.DecisionLogPath = Path.Combine(logDirectory, "2pc.log"); })
    .UseNpgsql("payments", primary)
    .UseNpgsql("orders", node2)
    .UseMySql("orders-mariadb", mariaNode2);
builder.Services.AddCqrs(cqrs => cqrs.AddQueryHandler<Echo, string, EchoHandler>()).UseNpgsql(o => o.ConnectionString = primary);
builder.Services.AddDbContext<ConsumerContext>((sp, o) => o.UseNpgsql().UseReadWriteSplitting(sp, r => r.ReadOnly = true));
builder.Services.AddReadYourWrites(o => o.CookieName = "consumer-ryw"); // the ASP.NET Core middleware's options, validated at start

using var host = builder.Build();
await host.StartAsync();
var services = host.Services;

// Sharding
var resolver = services.GetRequiredKeyedService<ShardResolver<long>>("orders");
var targets = services.GetRequiredKeyedService<ShardMap<string>>("orders");
var shard = resolver.Resolve(42L);
Check(targets[shard] == $"Host=db-{shard.Name}" && resolver.Resolve(42L) == shard, "sharding did not resolve consistently");
Console.WriteLine($"consumer: sharding resolved customer 42 to {shard.Name}");

// Caching (memory + Memcached L2 + Redis backplane): one load, then hits
var greetings = services.GetRequiredKeyedService<ICache<int, string>>("greetings");
Check(await greetings.GetOrLoadAsync(7) == "hello 7" && await greetings.GetOrLoadAsync(7) == "hello 7" && GreetingLoader.Loads == 1, "caching did not load once and hit after");
Console.WriteLine("consumer: caching loaded key 7 once and served it from the cache after");

// Routing: reads on the replica, writes on the primary
var router = services.GetRequiredService<ReadWriteRouter>();
await router.WaitUntilReadyAsync().WaitAsync(TimeSpan.FromSeconds(30));
using (var scope = services.CreateScope())
{
    var session = scope.ServiceProvider.GetRequiredService<RoutingSession>();
    await using var read = await session.OpenReadConnectionAsync();
    await using var write = await session.OpenWriteConnectionAsync();
    var readPort = await Port(read);
    var writePort = await Port(write);
    Check(readPort == new NpgsqlConnectionStringBuilder(replica).Port && writePort == new NpgsqlConnectionStringBuilder(primary).Port, $"routing sent reads to {readPort} and writes to {writePort}");
    Console.WriteLine($"consumer: routing read from port {readPort}, wrote to port {writePort}");
}

// EF Core: a read-only DbContext on the router reads from the replica
using (var scope = services.CreateScope())
{
    var db = scope.ServiceProvider.GetRequiredService<ConsumerContext>();
    var port = await db.Database.SqlQuery<int>($"SELECT inet_server_port() AS \"Value\"").SingleAsync();
    Check(port == new NpgsqlConnectionStringBuilder(replica).Port, $"the routed DbContext read from port {port}");
    Console.WriteLine($"consumer: the routed DbContext read from port {port}");
}

// Two-phase commit across two servers
var table = $"consumer_{Environment.ProcessId}";
await Execute(primary, $"CREATE TABLE {table} (id int PRIMARY KEY)");
await Execute(node2, $"CREATE TABLE {table} (id int PRIMARY KEY)");
try
{
    var coordinator = services.GetRequiredService<TwoPhaseCommitCoordinator>();
    await using (var transaction = coordinator.Begin())
    {
        var payments = await transaction.EnlistNpgsqlAsync("payments");
        var orders = await transaction.EnlistNpgsqlAsync("orders");
        await using (var pay = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", payments.Connection)) { await pay.ExecuteNonQueryAsync(); }
        await using (var order = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", orders.Connection)) { await order.ExecuteNonQueryAsync(); }
        await transaction.CommitAsync();
    }

    Check(await Count(primary, table) == 1 && await Count(node2, table) == 1, "two-phase commit did not commit on both servers");
}
finally
{
    await Execute(primary, $"DROP TABLE IF EXISTS {table}");
    await Execute(node2, $"DROP TABLE IF EXISTS {table}");
}
Console.WriteLine("consumer: two-phase commit committed one row on each server");

// Two-phase commit across PostgreSQL and MariaDB (XA)
await Execute(primary, $"CREATE TABLE {table} (id int PRIMARY KEY)");
await ExecuteMariaDb(mariaNode2, $"CREATE TABLE {table} (id INT PRIMARY KEY) ENGINE = InnoDB");
try
{
    var coordinator = services.GetRequiredService<TwoPhaseCommitCoordinator>();
    await using (var transaction = coordinator.Begin())
    {
        var payments = await transaction.EnlistNpgsqlAsync("payments");
        var orders = await transaction.EnlistMySqlAsync("orders-mariadb");
        await using (var pay = new NpgsqlCommand($"INSERT INTO {table} VALUES (2)", payments.Connection)) { await pay.ExecuteNonQueryAsync(); }
        await using (var order = new MySqlCommand($"INSERT INTO {table} VALUES (2)", orders.Connection)) { await order.ExecuteNonQueryAsync(); }
        await transaction.CommitAsync();
    }

    Check(await Count(primary, table) == 1 && await CountMariaDb(mariaNode2, table) == 1, "two-phase commit did not commit on PostgreSQL and MariaDB");
}
finally
{
    await Execute(primary, $"DROP TABLE IF EXISTS {table}");
    await ExecuteMariaDb(mariaNode2, $"DROP TABLE IF EXISTS {table}");
}
Console.WriteLine("consumer: two-phase commit committed one row on PostgreSQL and one on MariaDB");

// Routing over MariaDB (a host of its own: one router per container)
var mariaBuilder = Host.CreateApplicationBuilder();
mariaBuilder.Services.AddReadWriteSplitting(o => o.AddNode("primary", mariaPrimary).AddNode("replica", mariaReplica)).UseMySql();
using (var mariaHost = mariaBuilder.Build())
{
    await mariaHost.StartAsync();
    await mariaHost.Services.GetRequiredService<ReadWriteRouter>().WaitUntilReadyAsync().WaitAsync(TimeSpan.FromSeconds(30));
    using var scope = mariaHost.Services.CreateScope();
    var session = scope.ServiceProvider.GetRequiredService<RoutingSession>();
    await using var read = await session.OpenReadConnectionAsync();
    await using var write = await session.OpenWriteConnectionAsync();
    var (readPort, writePort) = (await MariaDbPort(read), await MariaDbPort(write));
    Check(readPort == new MySqlConnectionStringBuilder(mariaReplica).Port && writePort == new MySqlConnectionStringBuilder(mariaPrimary).Port, $"MariaDB routing sent reads to {readPort} and writes to {writePort}");
    Console.WriteLine($"consumer: MariaDB routing read from port {readPort}, wrote to port {writePort}");
    await mariaHost.StopAsync();
}

// CQRS dispatch
var dispatcher = services.GetRequiredService<IDispatcher>();
Check(await dispatcher.QueryAsync<Echo, string>(new Echo("ping")) == "ping", "the dispatcher did not reach the query handler");
Console.WriteLine("consumer: the CQRS dispatcher answered the query");

await host.StopAsync();
return 0;

static void Check(bool condition, string failure)
{
    if (!condition)
    {
        throw new InvalidOperationException($"consumer: {failure}");
    }
}

static async Task<int> Port(System.Data.Common.DbConnection connection)
{
    await using var command = connection.CreateCommand();
    command.CommandText = "SELECT inet_server_port()";
    return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
}

static async Task Execute(string connectionString, string sql)
{
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using var command = dataSource.CreateCommand(sql);
    await command.ExecuteNonQueryAsync();
}

static async Task<uint> MariaDbPort(System.Data.Common.DbConnection connection)
{
    await using var command = connection.CreateCommand();
    command.CommandText = "SELECT @@port";
    return Convert.ToUInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
}

static async Task ExecuteMariaDb(string connectionString, string sql)
{
    await using var dataSource = new MySqlDataSource(connectionString);
    await using var command = dataSource.CreateCommand(sql);
    await command.ExecuteNonQueryAsync();
}

static async Task<long> CountMariaDb(string connectionString, string table)
{
    await using var dataSource = new MySqlDataSource(connectionString);
    await using var command = dataSource.CreateCommand($"SELECT COUNT(*) FROM {table}");
    return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
}

static async Task<long> Count(string connectionString, string table)
{
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {table}");
    return (long)(await command.ExecuteScalarAsync())!;
}

internal sealed class GreetingLoader : ICacheLoader<int, string>
{
    public static int Loads;

    public ValueTask<string?> LoadAsync(int key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Loads);
        return ValueTask.FromResult<string?>($"hello {key}");
    }
}

internal sealed record Echo(string Text);

internal sealed class ConsumerContext(DbContextOptions<ConsumerContext> options) : DbContext(options);

internal sealed class EchoHandler : IQueryHandler<Echo, string>
{
    public ValueTask<string> HandleAsync(Echo query, CancellationToken cancellationToken) => ValueTask.FromResult(query.Text);
}
