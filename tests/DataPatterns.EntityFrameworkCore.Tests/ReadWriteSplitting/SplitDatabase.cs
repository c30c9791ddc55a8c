using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.EntityFrameworkCore.Tests.ReadWriteSplitting;

/// <summary>An entity of the routing tests.</summary>
public sealed class Note
{
    public long Id { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>The context every routing test uses: the provider without a connection string, the router takes over.</summary>
public sealed class NotesContext(DbContextOptions<NotesContext> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("notes");
            note.Property(n => n.Id).HasColumnName("id").ValueGeneratedNever();
            note.Property(n => n.Text).HasColumnName("text");
        });
}

/// <summary>A database of its own on the shared primary, streamed to the shared replica, and routers over it.</summary>
public sealed class SplitDatabase : IAsyncLifetime
{
    private TemporaryDatabase _database = null!;

    public static int PrimaryPort { get; } = new NpgsqlConnectionStringBuilder(TestServers.Primary.ConnectionString).Port;

    public static int ReplicaPort { get; } = new NpgsqlConnectionStringBuilder(TestServers.Replica.ConnectionString).Port;

    public string PrimaryConnectionString => _database.ConnectionString;

    public string ReplicaConnectionString => _database.ConnectionStringOn(TestServers.Replica);

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "efcore_rws");
        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE notes (id bigint PRIMARY KEY, text text NOT NULL)", connection);
            await command.ExecuteNonQueryAsync();
        }

        await WaitForReplicaAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    public ReadWriteRouter NewRouter(bool readYourWrites = true, TimeSpan? wait = null) =>
        NewRouter(PrimaryConnectionString, ReplicaConnectionString, readYourWrites, wait);

    public static ReadWriteRouter NewRouter(string primary, string replica, bool readYourWrites = true, TimeSpan? wait = null)
    {
        var options = new ReadWriteRouterOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(200),
            ProbeTimeout = TimeSpan.FromSeconds(10), // generous: CI runs every test project at once
            EjectionCooldown = TimeSpan.FromMilliseconds(500),
            ReadYourWrites = readYourWrites,
            ReadYourWritesWait = wait ?? TimeSpan.FromMilliseconds(500),
            MaxReplicaLag = null, // other test projects load the shared servers; the lag bound has its own tests
        }
        .AddNode("primary", Short(primary), NodeRole.Primary)
        .AddNode("replica", Short(replica), NodeRole.Replica)
        .UseNpgsql();
        return new ReadWriteRouter("efcore", options);
    }

    public static NotesContext Context(RoutingSession session, bool readOnly = false) =>
        new(new DbContextOptionsBuilder<NotesContext>()
            .UseNpgsql()
            .UseReadWriteSplitting(session, o => o.ReadOnly = readOnly)
            .Options);

    public static NotesContext Context(ReadWriteRouter router, bool readOnly = false) =>
        new(new DbContextOptionsBuilder<NotesContext>()
            .UseNpgsql()
            .UseReadWriteSplitting(router, o => o.ReadOnly = readOnly)
            .Options);

    /// <summary>True when the query ran on a server in recovery (the replica).</summary>
    public static Task<bool> InRecoveryAsync(NotesContext context, bool marked = false)
    {
        var query = context.Database.SqlQueryRaw<bool>("SELECT pg_is_in_recovery() AS \"Value\"");
        return (marked ? query.ReadFromReplica() : query).SingleAsync();
    }

    /// <summary>The port of the node the context's connection was routed to (its data source's connection string).</summary>
    public static int PortOf(NotesContext context) => new NpgsqlConnectionStringBuilder(context.Database.GetDbConnection().ConnectionString).Port;

    public static int Outstanding(ReadWriteRouter router) => router.GetNodes().Sum(n => n.OutstandingConnections);

    private static string Short(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, CommandTimeout = 30 }.ConnectionString;

    private async Task WaitForReplicaAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ReplicaConnectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM notes", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (PostgresException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
