using BenchmarkDotNet.Attributes;
using DataPatterns.Benchmarks.Routing;
using DataPatterns.Routing;
using DataPatterns.Routing.Npgsql;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DataPatterns.Benchmarks.EntityFrameworkCore;

/// <summary>A row of the system catalog: a point lookup by key that exists on every server without any setup.</summary>
public sealed class CatalogNamespace
{
    public uint Oid { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>The benchmark's context.</summary>
public sealed class CatalogContext(DbContextOptions<CatalogContext> options) : DbContext(options)
{
    public DbSet<CatalogNamespace> Namespaces => Set<CatalogNamespace>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<CatalogNamespace>(n =>
        {
            n.ToTable("pg_namespace", "pg_catalog");
            n.HasKey(x => x.Oid);
            n.Property(x => x.Oid).HasColumnName("oid").HasColumnType("oid");
            n.Property(x => x.Name).HasColumnName("nspname");
        });
}

/// <summary>
/// One request's read: a new context, a point lookup by key with AsNoTracking, dispose. Plain EF Core on an
/// NpgsqlDataSource (baseline, primary; and the same to the replica) against the routed context (router overload, a
/// session per context) to the primary (read-write context) and to the replica (read-only context).
/// </summary>
[MemoryDiagnoser]
public class EfCoreRoutingBenchmarks
{
    private const uint PgCatalog = 11;
    private NpgsqlDataSource _primary = null!;
    private NpgsqlDataSource _replica = null!;
    private ReadWriteRouter _router = null!;
    private DbContextOptions<CatalogContext> _plainPrimary = null!;
    private DbContextOptions<CatalogContext> _plainReplica = null!;
    private DbContextOptions<CatalogContext> _routedPrimary = null!;
    private DbContextOptions<CatalogContext> _routedReplica = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _primary = NpgsqlDataSource.Create(RoutingServers.Primary);
        _replica = NpgsqlDataSource.Create(RoutingServers.Replica);
        var options = new ReadWriteRouterOptions { MaxReplicaLag = null }
            .AddNode("primary", RoutingServers.Primary, NodeRole.Primary)
            .AddNode("replica", RoutingServers.Replica, NodeRole.Replica)
            .UseNpgsql();
        _router = new ReadWriteRouter("bench-efcore", options);
        await _router.WaitUntilReadyAsync();
        _plainPrimary = new DbContextOptionsBuilder<CatalogContext>().UseNpgsql(_primary).Options;
        _plainReplica = new DbContextOptionsBuilder<CatalogContext>().UseNpgsql(_replica).Options;
        _routedPrimary = new DbContextOptionsBuilder<CatalogContext>().UseNpgsql().UseReadWriteSplitting(_router).Options;
        _routedReplica = new DbContextOptionsBuilder<CatalogContext>().UseNpgsql().UseReadWriteSplitting(_router, o => o.ReadOnly = true).Options;
        await PlainPrimaryAsync();
        await PlainReplicaAsync();
        await RoutedPrimaryAsync();
        await RoutedReplicaAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _router.DisposeAsync();
        await _primary.DisposeAsync();
        await _replica.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "plain EF Core, UseNpgsql(dataSource), primary")]
    public Task<CatalogNamespace> PlainPrimaryAsync() => LookupAsync(_plainPrimary);

    [Benchmark(Description = "plain EF Core, UseNpgsql(dataSource), replica")]
    public Task<CatalogNamespace> PlainReplicaAsync() => LookupAsync(_plainReplica);

    [Benchmark(Description = "UseReadWriteSplitting, read-write context (primary)")]
    public Task<CatalogNamespace> RoutedPrimaryAsync() => LookupAsync(_routedPrimary);

    [Benchmark(Description = "UseReadWriteSplitting, read-only context (replica)")]
    public Task<CatalogNamespace> RoutedReplicaAsync() => LookupAsync(_routedReplica);

    private static async Task<CatalogNamespace> LookupAsync(DbContextOptions<CatalogContext> options)
    {
        await using var context = new CatalogContext(options);
        return await context.Namespaces.AsNoTracking().SingleAsync(n => n.Oid == PgCatalog);
    }
}
