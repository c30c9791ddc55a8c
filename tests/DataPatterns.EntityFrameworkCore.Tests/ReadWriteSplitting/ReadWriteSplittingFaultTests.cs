using DataPatterns.Routing;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace DataPatterns.EntityFrameworkCore.Tests.ReadWriteSplitting;

/// <summary>A private primary and replica, stopped at the worst moment (never the shared servers).</summary>
public sealed class ReadWriteSplittingFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PrivatePostgres _primary = null!;
    private PrivatePostgres _replica = null!;

    public async Task InitializeAsync()
    {
        _primary = await PrivatePostgres.StartNewAsync("efcore-rws-primary");
        await using (var connection = new NpgsqlConnection(_primary.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE notes (id bigint PRIMARY KEY, text text NOT NULL)", connection);
            await command.ExecuteNonQueryAsync();
        }

        _replica = await _primary.StartReplicaAsync("efcore-rws-replica");
    }

    public async Task DisposeAsync()
    {
        await _replica.DisposeAsync();
        await _primary.DisposeAsync();
    }

    [Fact]
    public async Task With_the_replica_down_reads_of_a_read_only_context_fall_back_to_the_primary_without_error()
    {
        await using var router = SplitDatabase.NewRouter(_primary.ConnectionString, _replica.ConnectionString);
        await router.WaitUntilReadyAsync();
        var session = router.CreateSession();
        await using (var context = SplitDatabase.Context(session, readOnly: true))
        {
            Assert.True(await SplitDatabase.InRecoveryAsync(context));
        }

        // A query that meets the replica the instant it dies gets the client's own error (as with the router alone); once the
        // router has noticed (its probe, or the first failed open), reads fall back to the primary and none fails.
        await _replica.StopAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (router.GetNodes().Single(n => n.Name == "replica").IsHealthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(router.GetNodes().Single(n => n.Name == "replica").IsHealthy, "the router never noticed the stopped replica");
        for (var i = 0; i < 20; i++)
        {
            await using var context = SplitDatabase.Context(session, readOnly: true);
            Assert.False(await SplitDatabase.InRecoveryAsync(context));
            Assert.Empty(await context.Notes.AsNoTracking().Where(n => n.Id < 0).ToListAsync());
        }

        Assert.Equal(0, SplitDatabase.Outstanding(router));
    }

    [Fact]
    public async Task With_the_primary_down_SaveChanges_fails_with_NoPrimaryAvailable_and_writes_nothing()
    {
        await using var router = SplitDatabase.NewRouter(_primary.ConnectionString, _replica.ConnectionString);
        await router.WaitUntilReadyAsync();
        var session = router.CreateSession();
        await _primary.StopAsync();

        await using (var context = SplitDatabase.Context(session, readOnly: true))
        {
            context.Notes.Add(new Note { Id = 1, Text = "lost" });
            context.Notes.Add(new Note { Id = 2, Text = "lost" });
            var error = await Assert.ThrowsAnyAsync<Exception>(() => context.SaveChangesAsync());
            output.WriteLine($"{error.GetType().Name}: {error.Message}");
            Assert.IsType<NoPrimaryAvailableException>(error);
        }

        Assert.Equal(0, SplitDatabase.Outstanding(router));
        await _primary.StartAsync();
        await using var check = new NpgsqlConnection(_primary.ConnectionString);
        await check.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM notes", check);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }
}
