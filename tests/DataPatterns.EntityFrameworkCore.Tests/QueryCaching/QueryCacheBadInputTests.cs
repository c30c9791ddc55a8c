using DataPatterns.EntityFrameworkCore.QueryCaching;
using DataPatterns.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.EntityFrameworkCore.Tests.QueryCaching;

/// <summary>Misuse is refused with a message that says what to change.</summary>
public sealed class QueryCacheBadInputTests
{
    private const string Connection = "Host=127.0.0.1;Port=55432;Username=postgres;Database=bad_input";

    [Fact]
    public async Task A_query_filter_that_reads_the_context_is_refused_unless_the_query_ignores_filters()
    {
        var services = new ServiceCollection();
        services.AddCaching().AddHybridCache();
        services.AddEntityFrameworkQueryCache();
        services.AddDbContext<TenantContext>((sp, o) => o.UseNpgsql(Connection).UseQueryCache(sp));
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TenantContext>();

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () => await db.Orders.ToCachedListAsync(db));

        Assert.Contains("IgnoreQueryFilters", error.Message, StringComparison.Ordinal);
        var cache = provider.GetRequiredService<QueryCache>();
        Assert.NotNull(cache.Describe(db, db.Orders.IgnoreQueryFilters().Where(o => o.CustomerId == 3).Expression, "list", typeof(Order)).Key);
    }

    [Fact]
    public async Task A_captured_value_that_cannot_be_keyed_is_refused()
    {
        await using var setup = await ShopSetup.CreateAsync();
        Func<int> pick = () => 1;

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () => await setup.Db.Orders.Where(o => o.Id == pick()).ToCachedListAsync(setup.Db));

        Assert.Contains("local variables", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromSql_is_refused()
    {
        await using var setup = await ShopSetup.CreateAsync();

        var error = await Assert.ThrowsAsync<NotSupportedException>(async () => await setup.Db.Orders.FromSqlRaw("SELECT * FROM \"Orders\"").ToCachedListAsync(setup.Db));

        Assert.Contains("without the cache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_context_without_UseQueryCache_is_told_how_to_configure_it()
    {
        await using var db = new ShopContext(new DbContextOptionsBuilder<ShopContext>().UseNpgsql(Connection).Options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await db.Orders.ToCachedListAsync(db));

        Assert.Contains("UseQueryCache", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_positive_expiration_is_refused()
    {
        await using var setup = await ShopSetup.CreateAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await setup.Db.Orders.ToCachedListAsync(setup.Db, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("DefaultExpiration")]
    [InlineData("ReinvalidateAfter")]
    [InlineData("KeyPrefix")]
    public void Bad_options_fail_at_start_naming_the_setting(string setting)
    {
        var services = new ServiceCollection();
        services.AddCaching().AddHybridCache();
        services.AddEntityFrameworkQueryCache(o =>
        {
            switch (setting)
            {
                case "DefaultExpiration": o.DefaultExpiration = TimeSpan.Zero; break;
                case "ReinvalidateAfter": o.ReinvalidateAfter = TimeSpan.FromSeconds(-1); break;
                default: o.KeyPrefix = "has:colon"; break;
            }
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<QueryCache>());

        Assert.Contains("QueryCacheOptions." + setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_HybridCache_implementation_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new QueryCache(new ForeignHybridCache(), Options.Create(new QueryCacheOptions())));

        Assert.Contains("AddHybridCache()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseQueryCache_without_AddEntityFrameworkQueryCache_says_what_to_call()
    {
        using var provider = new ServiceCollection().BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => new DbContextOptionsBuilder<ShopContext>().UseQueryCache(provider));

        Assert.Contains("AddEntityFrameworkQueryCache", error.Message, StringComparison.Ordinal);
    }

    private sealed class ShopSetup : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly AsyncServiceScope _scope;

        private ShopSetup(ServiceProvider provider)
        {
            _provider = provider;
            _scope = provider.CreateAsyncScope();
            Db = _scope.ServiceProvider.GetRequiredService<ShopContext>();
        }

        public ShopContext Db { get; }

        public static Task<ShopSetup> CreateAsync()
        {
            var services = new ServiceCollection();
            services.AddCaching().AddHybridCache();
            services.AddEntityFrameworkQueryCache();
            services.AddDbContext<ShopContext>((sp, o) => o.UseNpgsql(TestServers.Primary.ConnectionString).UseQueryCache(sp));
            return Task.FromResult(new ShopSetup(services.BuildServiceProvider()));
        }

        public async ValueTask DisposeAsync()
        {
            await _scope.DisposeAsync();
            await _provider.DisposeAsync();
        }
    }

    /// <summary>A HybridCache that is not the DataPatterns one (it never caches).</summary>
    private sealed class ForeignHybridCache : HybridCache
    {
        public override ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) =>
            factory(state, cancellationToken);

        public override ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
