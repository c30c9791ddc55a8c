using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Tests;

/// <summary>
/// Soft timeout: a slow load of an expired key answers its callers with the stale value at the soft timeout and
/// updates the cache when it finishes; with nothing stale to serve, callers wait for the load as before.
/// </summary>
public sealed class SoftTimeoutTests
{
    private static void Configure(CacheOptions options)
    {
        options.Expiration.Duration = TimeSpan.FromSeconds(10);
        options.FailSafe.Enabled = true;
        options.FailSafe.MaxStaleDuration = TimeSpan.FromMinutes(5);
        options.Loading.Timeout = TimeSpan.FromSeconds(30);
        options.Loading.SoftTimeout = TimeSpan.FromSeconds(1);
    }

    [Fact]
    public async Task A_slow_load_serves_the_stale_value_at_the_soft_timeout_and_updates_the_cache_when_it_finishes()
    {
        await using var fixture = new CacheFixture(Configure);
        fixture.Database.Rows[1] = "v1";
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        fixture.Database.Rows[1] = "v2";
        fixture.Database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var slow = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await WaitUntilAsync(() => fixture.Database.Loads == 2);
        Assert.False(slow.IsCompleted);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("v1", await slow.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1)); // joins the load still running: no second load
        fixture.Database.Gate.SetResult();
        await WaitUntilAsync(async () => (await fixture.Cache.TryGetAsync(1)).Value == "v2");
        Assert.Equal("v2", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(2, fixture.Database.Loads);
    }

    [Fact]
    public async Task With_nothing_stale_to_serve_the_caller_waits_for_the_load()
    {
        await using var fixture = new CacheFixture(Configure);
        fixture.Database.Rows[1] = "v1";
        fixture.Database.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var cold = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await WaitUntilAsync(() => fixture.Database.Loads == 1);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(cold.IsCompleted);
        fixture.Database.Gate.SetResult();

        Assert.Equal("v1", await cold.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_slow_load_that_then_fails_leaves_the_stale_value_served_and_the_next_load_tries_again()
    {
        await using var fixture = new CacheFixture(Configure);
        fixture.Database.Rows[1] = "v1";
        await fixture.Cache.GetOrLoadAsync(1);
        fixture.Time.Advance(TimeSpan.FromSeconds(11));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;

        var slow = fixture.Cache.GetOrLoadAsync(1).AsTask();
        await WaitUntilAsync(() => fixture.Database.Loads == 2);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v1", await slow.WaitAsync(TimeSpan.FromSeconds(10)));
        fixture.Database.Gate = null;
        fixture.Database.Rows[1] = "v3";
        gate.SetException(new InvalidOperationException("The database is down.")); // the slow load fails after all

        // Until that load has ended, readers keep the stale value; then the next miss loads again.
        await WaitUntilAsync(async () => await fixture.Cache.GetOrLoadAsync(1) == "v3");
        Assert.Equal(3, fixture.Database.Loads);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 30)]
    [InlineData(true, 0)]
    public void A_soft_timeout_without_fail_safe_or_not_below_the_timeout_is_refused_at_start(bool failSafe, int softSeconds)
    {
        var services = new ServiceCollection();
        services.AddCaching().AddCache<int, string>("soft", o =>
        {
            o.FailSafe.Enabled = failSafe;
            o.Loading.Timeout = TimeSpan.FromSeconds(30);
            o.Loading.SoftTimeout = TimeSpan.FromSeconds(softSeconds);
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<CacheOptions>>().Get("soft"));

        Assert.Contains("Loading.SoftTimeout", error.Message, StringComparison.Ordinal);
    }

    // The background load's end is observable only through its effects: a short real wait, bounded.
    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => ValueTask.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<ValueTask<bool>> condition)
    {
        for (var i = 0; i < 500 && !await condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(await condition(), "the condition was not reached within 5 s");
    }
}
