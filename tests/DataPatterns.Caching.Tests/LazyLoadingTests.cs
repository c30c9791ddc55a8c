using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Tests;

public class LazyLoadingTests
{
    [Fact]
    public async Task A_thousand_concurrent_misses_on_one_cold_key_call_the_loader_once()
    {
        await using var fixture = new CacheFixture();
        fixture.Database.Rows[7] = "seven";
        fixture.Database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var metrics = fixture.Provider.GetRequiredService<CachingMetrics>();
        using var merged = new MetricCollector<long>(metrics.StampedesMerged);

        var readers = Enumerable.Range(0, 1000)
            .Select(_ => Task.Run(async () => await fixture.Cache.GetOrLoadAsync(7)))
            .ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (merged.GetMeasurementSnapshot().Count < 999 && !readers.Any(r => r.IsCompleted))
        {
            Assert.True(DateTime.UtcNow < deadline, "the 1,000 readers did not all reach the cache within 30 seconds");
            await Task.Delay(5);
        }

        fixture.Database.Gate.SetResult();
        var values = await Task.WhenAll(readers);

        Assert.Equal(1, fixture.Database.Loads);
        Assert.All(values, v => Assert.Equal("seven", v));
        Assert.Equal(999, merged.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task A_cancelled_reader_stops_waiting_while_the_shared_load_goes_on_for_the_others()
    {
        await using var fixture = new CacheFixture();
        fixture.Database.Rows[1] = "one";
        fixture.Database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancellation = new CancellationTokenSource();
        var cancelled = fixture.Cache.GetOrLoadAsync(1, cancellation.Token).AsTask();
        var patient = fixture.Cache.GetOrLoadAsync(1).AsTask();

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        fixture.Database.Gate.SetResult();

        Assert.Equal("one", await patient);
        Assert.Equal(1, fixture.Database.Loads);
    }

    [Fact]
    public async Task A_hit_in_memory_completes_synchronously_without_calling_the_loader()
    {
        await using var fixture = new CacheFixture();
        fixture.Database.Rows[1] = "one";
        Assert.Equal("one", await fixture.Cache.GetOrLoadAsync(1));

        var hit = fixture.Cache.GetOrLoadAsync(1).AsTask();

        Assert.True(hit.IsCompletedSuccessfully);
        Assert.Equal("one", await hit);
        Assert.Equal(1, fixture.Database.Loads);
    }

    [Fact]
    public async Task Not_found_is_cached_for_the_not_found_duration()
    {
        await using var fixture = new CacheFixture(o => o.Loading.NotFoundDuration = TimeSpan.FromSeconds(30));

        Assert.Null(await fixture.Cache.GetOrLoadAsync(404));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(404));
        Assert.Equal(1, fixture.Database.Loads);

        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(404));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task Not_found_is_not_cached_by_default()
    {
        await using var fixture = new CacheFixture();

        Assert.Null(await fixture.Cache.GetOrLoadAsync(404));
        Assert.Null(await fixture.Cache.GetOrLoadAsync(404));

        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task An_entry_read_near_its_expiry_is_reloaded_in_the_background_before_it_expires()
    {
        await using var fixture = new CacheFixture(o =>
        {
            o.Expiration.Duration = TimeSpan.FromSeconds(100);
            o.Loading.RefreshAheadRatio = 0.8;
        });
        fixture.Database.Rows[1] = "v1";
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        fixture.Database.Rows[1] = "v2";

        fixture.Time.Advance(TimeSpan.FromSeconds(85));
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // served at once; the refresh runs behind it
        await WaitUntilAsync(() => fixture.Database.Loads == 2);
        await WaitUntilAsync(() => fixture.Cache.TryGetAsync(1).AsTask() is { IsCompletedSuccessfully: true } t && t.Result.Value == "v2");

        fixture.Time.Advance(TimeSpan.FromSeconds(50)); // past the first entry's expiry: the refreshed one still lives
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task A_hanging_loader_times_out_with_a_clear_error_instead_of_hanging_the_request()
    {
        await using var fixture = new CacheFixture(o => o.Loading.Timeout = TimeSpan.FromSeconds(2));
        fixture.Database.Hang = true;

        var read = fixture.Cache.GetOrLoadAsync(1).AsTask();
        fixture.Time.Advance(TimeSpan.FromSeconds(3));

        var error = await Assert.ThrowsAsync<CacheLoadException>(() => read);
        Assert.True(error.TimedOut);
        Assert.Contains("Loading.Timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_loader_without_fail_safe_throws_CacheLoadException_and_counts_the_failure()
    {
        await using var fixture = new CacheFixture();
        fixture.Database.LoaderDown = true;
        using var loads = new MetricCollector<long>(fixture.Provider.GetRequiredService<CachingMetrics>().Loads);

        var error = await Assert.ThrowsAsync<CacheLoadException>(() => fixture.Cache.GetOrLoadAsync(1).AsTask());

        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal("failure", loads.LastMeasurement!.Tags["datapatterns.cache.outcome"]);
    }

    [Fact]
    public async Task Warm_up_loads_the_configured_keys_at_start()
    {
        var fixture = new CacheFixture();
        await using var _ = fixture;
        fixture.Database.Rows[1] = "one";
        fixture.Database.Rows[2] = "two";
        await fixture.Cache.WarmUpAsync([1, 2]);

        Assert.Equal(2, fixture.Database.Loads);
        Assert.Equal("one", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal("two", await fixture.Cache.GetOrLoadAsync(2));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task The_hosted_service_warms_up_the_keys_given_to_the_builder()
    {
        var database = new TestDatabase();
        database.Rows[5] = "five";
        var services = new ServiceCollection();
        services.AddSingleton(database);
        services.AddCaching().AddCache<int, string>("items").WithLoader(sp => sp.GetRequiredService<TestDatabase>()).WarmUp(5);
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.Equal(1, database.Loads);
        var hit = provider.GetRequiredKeyedService<ICache<int, string>>("items").GetOrLoadAsync(5).AsTask();
        Assert.True(hit.IsCompletedSuccessfully);
        Assert.Equal("five", await hit);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true within 10 seconds.");
            await Task.Delay(5);
        }
    }
}
