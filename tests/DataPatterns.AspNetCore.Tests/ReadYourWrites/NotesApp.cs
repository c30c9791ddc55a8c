using DataPatterns.AspNetCore;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using DataPatterns.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataPatterns.AspNetCore.Tests.ReadYourWrites;

public sealed class Note
{
    public long Id { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>The model both contexts share.</summary>
public abstract class NotesContext(DbContextOptions options) : DbContext(options)
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

/// <summary>Writes: every operation on the primary.</summary>
public sealed class WriteContext(DbContextOptions<WriteContext> options) : NotesContext(options);

/// <summary>Reads: queries on a replica that has the request's writes (read-your-writes), else the primary.</summary>
public sealed class ReadContext(DbContextOptions<ReadContext> options) : NotesContext(options);

/// <summary>A database of its own on the shared primary (streamed to the shared replica) and a minimal-API app over it.</summary>
public sealed class NotesDatabase : IAsyncLifetime
{
    private TemporaryDatabase _database = null!;

    public static int ReplicaPort { get; } = new NpgsqlConnectionStringBuilder(TestServers.Replica.ConnectionString).Port;

    public async Task InitializeAsync()
    {
        _database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "aspnet_ryw");
        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE notes (id bigint PRIMARY KEY, text text NOT NULL)", connection);
            await command.ExecuteNonQueryAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_database.ConnectionStringOn(TestServers.Replica));
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM notes", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>Starts the app: POST /notes/{id} writes through EF Core, GET /notes/{id} reads through the read-only context.</summary>
    public async Task<WebApplication> StartAsync(bool readYourWrites, Action<ReadYourWritesOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddReadWriteSplitting(options =>
        {
            options.ReadYourWritesWait = TimeSpan.FromMilliseconds(500);
            options.MaxReplicaLag = null; // other test projects load the shared servers
            options.ProbeTimeout = TimeSpan.FromSeconds(10);
            options.AddNode("primary", _database.ConnectionString, NodeRole.Primary)
                .AddNode("replica", _database.ConnectionStringOn(TestServers.Replica), NodeRole.Replica)
                .UseNpgsql();
        });
        builder.Services.AddReadYourWrites(configure);
        builder.Services.AddDbContext<WriteContext>((sp, o) => o.UseNpgsql().UseReadWriteSplitting(sp));
        builder.Services.AddDbContext<ReadContext>((sp, o) => o
            .UseNpgsql()
            .UseReadWriteSplitting(sp, r => r.ReadOnly = true)
            .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking));
        var app = builder.Build();
        if (readYourWrites)
        {
            app.UseReadYourWrites();
        }

        app.MapPost("/notes/{id:long}", async (long id, WriteContext db, CancellationToken cancellationToken) =>
        {
            db.Notes.Add(new Note { Id = id, Text = $"note {id}" });
            await db.SaveChangesAsync(cancellationToken);
            return Results.NoContent();
        });
        app.MapGet("/notes/{id:long}", async (long id, ReadContext db, HttpResponse response, CancellationToken cancellationToken) =>
        {
            var note = await db.Notes.SingleOrDefaultAsync(n => n.Id == id, cancellationToken);
            response.Headers["X-Read-Port"] = new NpgsqlConnectionStringBuilder(db.Database.GetDbConnection().ConnectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return note is null ? Results.NotFound() : Results.Text(note.Text);
        });
        await app.StartAsync();
        await app.Services.GetRequiredService<ReadWriteRouter>().WaitUntilReadyAsync();
        return app;
    }
}
