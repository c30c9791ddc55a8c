using System.Transactions;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.EntityFrameworkCore.Tests.ReadWriteSplitting;

/// <summary>Which node each kind of EF Core operation reaches, against the real primary and its streaming replica.</summary>
public sealed class ReadWriteSplittingRoutingTests(SplitDatabase database) : IClassFixture<SplitDatabase>, IAsyncLifetime
{
    private static long _nextId = 1;
    private ReadWriteRouter _router = null!;

    public async Task InitializeAsync()
    {
        _router = database.NewRouter();
        await _router.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await _router.DisposeAsync();

    private static long NextId() => Interlocked.Increment(ref _nextId);

    [Fact]
    public async Task Queries_of_a_read_only_context_go_to_the_replica()
    {
        await using var context = SplitDatabase.Context(_router.CreateSession(), readOnly: true);
        Assert.True(await SplitDatabase.InRecoveryAsync(context));
        _ = await context.Notes.AsNoTracking().Where(n => n.Id < 0).ToListAsync();
        Assert.Equal(SplitDatabase.ReplicaPort, SplitDatabase.PortOf(context));
    }

    [Fact]
    public async Task Queries_of_a_read_write_context_go_to_the_primary()
    {
        await using var context = SplitDatabase.Context(_router.CreateSession());
        Assert.False(await SplitDatabase.InRecoveryAsync(context));
        _ = await context.Notes.Where(n => n.Id < 0).ToListAsync();
        Assert.Equal(SplitDatabase.PrimaryPort, SplitDatabase.PortOf(context));
    }

    [Fact]
    public async Task A_query_marked_ReadFromReplica_goes_to_the_replica_from_a_read_write_context()
    {
        await using var context = SplitDatabase.Context(_router.CreateSession());
        Assert.True(await SplitDatabase.InRecoveryAsync(context, marked: true));
        Assert.Empty(await context.Notes.Where(n => n.Id < 0).ReadFromReplica().ToListAsync());
        Assert.Equal(0, SplitDatabase.Outstanding(_router));
    }

    [Fact]
    public async Task SaveChanges_of_a_read_only_context_goes_to_the_primary_and_the_next_read_of_the_session_sees_it()
    {
        var session = _router.CreateSession();
        var id = NextId();
        await using (var writer = SplitDatabase.Context(session, readOnly: true))
        {
            writer.Notes.Add(new Note { Id = id, Text = "saved" });
            Assert.Equal(1, await writer.SaveChangesAsync());
            Assert.Equal(SplitDatabase.PrimaryPort, SplitDatabase.PortOf(writer));
        }

        Assert.True(session.HasUnresolvedWrite);
        await using var reader = SplitDatabase.Context(session, readOnly: true);
        Assert.Equal("saved", (await reader.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
    }

    [Fact]
    public async Task ExecuteUpdate_and_raw_non_queries_go_to_the_primary_and_mark_the_session()
    {
        var session = _router.CreateSession();
        var id = NextId();
        await using (var context = SplitDatabase.Context(session, readOnly: true))
        {
            Assert.Equal(1, await context.Database.ExecuteSqlAsync($"INSERT INTO notes VALUES ({id}, 'raw')"));
            Assert.Equal(1, await context.Notes.Where(n => n.Id == id).ExecuteUpdateAsync(s => s.SetProperty(n => n.Text, "updated")));
        }

        await using var reader = SplitDatabase.Context(session, readOnly: true);
        Assert.Equal("updated", (await reader.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
    }

    [Fact]
    public async Task An_explicit_transaction_keeps_every_query_on_the_primary_even_a_marked_one()
    {
        var session = _router.CreateSession();
        var id = NextId();
        await using var context = SplitDatabase.Context(session);
        await using (var transaction = await context.Database.BeginTransactionAsync())
        {
            Assert.False(await SplitDatabase.InRecoveryAsync(context));
            Assert.False(await SplitDatabase.InRecoveryAsync(context, marked: true));
            context.Notes.Add(new Note { Id = id, Text = "in transaction" });
            await context.SaveChangesAsync();
            Assert.Single(await context.Notes.ReadFromReplica().Where(n => n.Id == id).ToListAsync());
            await transaction.CommitAsync();
        }

        await using var reader = SplitDatabase.Context(session, readOnly: true);
        Assert.Equal("in transaction", (await reader.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
    }

    [Fact]
    public async Task A_read_only_context_refuses_an_explicit_transaction_and_says_how_to_fix_it()
    {
        await using var context = SplitDatabase.Context(_router.CreateSession(), readOnly: true);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => context.Database.BeginTransactionAsync());
        Assert.Contains("read-only context", error.Message, StringComparison.Ordinal);
        Assert.Contains("TransactionScope", error.Message, StringComparison.Ordinal);
        Assert.Equal(System.Data.ConnectionState.Closed, context.Database.GetDbConnection().State);
        Assert.Equal(0, SplitDatabase.Outstanding(_router));
    }

    [Fact]
    public async Task A_TransactionScope_keeps_a_read_only_context_on_the_primary_and_its_commit_is_read_back()
    {
        var session = _router.CreateSession();
        var id = NextId();
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await using var context = SplitDatabase.Context(session, readOnly: true);
            Assert.False(await SplitDatabase.InRecoveryAsync(context));
            Assert.False(await SplitDatabase.InRecoveryAsync(context, marked: true));
            context.Notes.Add(new Note { Id = id, Text = "scoped" });
            await context.SaveChangesAsync();
            scope.Complete();
        }

        await using var reader = SplitDatabase.Context(session, readOnly: true);
        Assert.Equal("scoped", (await reader.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
    }

    [Fact]
    public async Task Synchronous_EF_calls_are_routed_the_same_way()
    {
        var session = _router.CreateSession();
        var id = NextId();
        using (var writer = SplitDatabase.Context(session, readOnly: true))
        {
            writer.Notes.Add(new Note { Id = id, Text = "sync" });
            writer.SaveChanges();
            Assert.Equal(SplitDatabase.PrimaryPort, SplitDatabase.PortOf(writer));
        }

        using var reader = SplitDatabase.Context(session, readOnly: true);
        Assert.Equal("sync", reader.Notes.AsNoTracking().Single(n => n.Id == id).Text);
    }

    [Fact]
    public async Task Many_operations_leave_no_connection_outstanding()
    {
        var session = _router.CreateSession();
        for (var i = 0; i < 60; i++)
        {
            await using var context = SplitDatabase.Context(session, readOnly: i % 2 == 0);
            _ = await context.Notes.AsNoTracking().Where(n => n.Id < 0).ToListAsync();
            _ = await context.Notes.ReadFromReplica().Where(n => n.Id < 0).ToListAsync();
            if (i % 5 == 0)
            {
                context.Notes.Add(new Note { Id = NextId(), Text = "many" });
                await context.SaveChangesAsync();
            }

            if (i % 7 == 0 && i % 2 == 1)
            {
                await using var transaction = await context.Database.BeginTransactionAsync();
                _ = await context.Notes.CountAsync();
                await transaction.RollbackAsync();
            }
        }

        Assert.Equal(0, SplitDatabase.Outstanding(_router));
    }

    [Fact]
    public void The_service_provider_overload_without_AddReadWriteSplitting_says_what_to_register()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => new DbContextOptionsBuilder<NotesContext>().UseNpgsql().UseReadWriteSplitting(services));
        Assert.Contains("AddReadWriteSplitting", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new DbContextOptionsBuilder<NotesContext>().UseReadWriteSplitting((RoutingSession)null!));
        Assert.Throws<ArgumentNullException>(() => ((IQueryable<Note>)null!).ReadFromReplica());
    }

    [Fact]
    public async Task Contexts_resolved_per_scope_share_the_scope_session()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(o =>
        {
            o.ReadYourWritesWait = TimeSpan.FromMilliseconds(500);
            o.MaxReplicaLag = null;
            o.AddNode("primary", database.PrimaryConnectionString, NodeRole.Primary)
                .AddNode("replica", database.ReplicaConnectionString, NodeRole.Replica)
                .UseNpgsql();
        });
        services.AddDbContext<NotesContext>((sp, o) => o.UseNpgsql().UseReadWriteSplitting(sp, r => r.ReadOnly = true));
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var id = NextId();
        await using var scope = provider.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<NotesContext>();
        context.Notes.Add(new Note { Id = id, Text = "scoped session" });
        await context.SaveChangesAsync();
        Assert.True(scope.ServiceProvider.GetRequiredService<RoutingSession>().HasUnresolvedWrite);
        Assert.Equal("scoped session", (await context.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
    }

    [Fact]
    public async Task Pooled_contexts_with_the_router_overload_route_each_lease_and_leak_nothing()
    {
        var services = new ServiceCollection();
        services.AddDbContextPool<NotesContext>(o => o.UseNpgsql().UseReadWriteSplitting(_router, r => r.ReadOnly = true), poolSize: 4);
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var ids = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            await using var scope = provider.CreateAsyncScope();
            var context = scope.ServiceProvider.GetRequiredService<NotesContext>();
            if (i % 4 == 0)
            {
                var id = NextId();
                ids.Add(id);
                context.Notes.Add(new Note { Id = id, Text = "pooled" });
                await context.SaveChangesAsync();
                Assert.Equal("pooled", (await context.Notes.AsNoTracking().SingleAsync(n => n.Id == id)).Text);
            }
            else
            {
                _ = await SplitDatabase.InRecoveryAsync(context);
            }
        }

        Assert.Equal(0, SplitDatabase.Outstanding(_router));
        await using var check = SplitDatabase.Context(_router.CreateSession());
        Assert.Equal(ids.Count, await check.Notes.CountAsync(n => ids.Contains(n.Id)));
    }
}
