using DataPatterns.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Samples.Quickstart;

/// <summary>EF Core on the router and the second-level cache: saves on the primary, reads on a replica that has them, cached rows dropped by the next save.</summary>
internal static class EfCoreQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var primary = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        var replica = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_REPLICA") ?? "Host=127.0.0.1;Port=55433;Username=postgres";
        var redis = Environment.GetEnvironmentVariable("DATAPATTERNS_REDIS") ?? "127.0.0.1:56379";
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(o => o.AddNode("primary", primary).AddNode("replica", replica).ReadYourWritesWait = TimeSpan.FromMilliseconds(200))
            .UseNpgsql();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = "quickstart-efcore")).UseRedis(redis).AddHybridCache();
        services.AddEntityFrameworkQueryCache();
        // The provider without a connection string: the router picks the node for every query and SaveChanges.
        services.AddDbContext<NotesContext>((sp, o) => o.UseNpgsql().UseReadWriteSplitting(sp).UseQueryCache(sp));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ReadWriteRouter>().WaitUntilReadyAsync();

        // One unit of work (an HTTP request) is one scope: its contexts share one read-your-writes session.
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotesContext>();
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE IF NOT EXISTS quickstart_ef_notes (id bigserial PRIMARY KEY, text text NOT NULL)");
        var note = new Note { Text = "hello" };
        db.Notes.Add(note);
        await db.SaveChangesAsync(); // on the primary; the session now has a write to wait for

        // ReadFromReplica: a replica that has replayed the save (waiting up to 200 ms), else the primary.
        var seen = await db.Database.SqlQuery<NoteSeen>($"SELECT text AS \"Text\", inet_server_port() AS \"Port\" FROM quickstart_ef_notes WHERE id = {note.Id}")
            .ReadFromReplica().SingleAsync();
        Console.WriteLine($"saved note {note.Id}; read back '{seen.Text}' from port {seen.Port}");

        var cached = await db.Notes.Where(n => n.Id == note.Id).FirstOrDefaultCachedAsync(db); // loaded, then kept
        note.Text = "hello again";
        await db.SaveChangesAsync(); // commits, then drops every cached query of quickstart_ef_notes on every instance
        var fresh = await db.Notes.Where(n => n.Id == note.Id).FirstOrDefaultCachedAsync(db);
        Console.WriteLine($"cached query: '{cached?.Text}', after the next save: '{fresh?.Text}'");
        return seen.Text == "hello" && fresh?.Text == "hello again" ? 0 : 1;
    }
}
