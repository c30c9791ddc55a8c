using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Tests;

/// <summary>ClearAsync: every entry gone from both levels and every instance, by one marker, with nothing over-cleared.</summary>
public sealed class ClearTests
{
    private const string Marker = "datapatterns:items:clear";

    [Fact]
    public async Task Clear_removes_every_entry_from_memory_and_the_distributed_level()
    {
        await using var fixture = await LoadedAsync(new CacheFixture(withDistributed: true), 1, 2, 3);

        await fixture.Cache.ClearAsync();

        for (var key = 1; key <= 3; key++)
        {
            Assert.False((await fixture.Cache.TryGetAsync(key)).Found);
        }

        Assert.Equal("v1", await fixture.Cache.GetOrLoadAsync(1));
        Assert.Equal(4, fixture.Database.Loads);
        Assert.Contains(Marker, fixture.Distributed.Keys);
    }

    [Fact]
    public async Task An_instance_started_after_the_clear_never_serves_an_entry_written_before_it()
    {
        await using var first = await LoadedAsync(new CacheFixture(withDistributed: true), 1, 2);
        await first.Cache.ClearAsync();

        await using var second = new CacheFixture(withDistributed: true, shareWith: first);

        Assert.False((await second.Cache.TryGetAsync(1)).Found);
        Assert.Equal("v2", await second.Cache.GetOrLoadAsync(2));
        Assert.Equal(3, first.Database.Loads);
    }

    [Fact]
    public async Task An_instance_without_a_backplane_learns_of_another_instances_clear_within_the_poll_interval()
    {
        await using var first = await LoadedAsync(new CacheFixture(withDistributed: true), 1);
        await using var second = new CacheFixture(withDistributed: true, shareWith: first);
        Assert.Equal("v1", await second.Cache.GetOrLoadAsync(1)); // from L2, now in its memory too
        first.Database.Rows[1] = "v1-new";

        await first.Cache.ClearAsync();
        first.Time.Advance(TimeSpan.FromSeconds(1)); // the poll reads the marker in the background

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await second.Cache.GetOrLoadAsync(1) != "v1-new" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal("v1-new", await second.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task Fail_safe_never_serves_a_cleared_entry()
    {
        await using var fixture = await LoadedAsync(
            new CacheFixture(
                o =>
                {
                    o.FailSafe.Enabled = true;
                    o.FailSafe.MaxStaleDuration = TimeSpan.FromHours(1);
                },
                withDistributed: true),
            1);

        await fixture.Cache.ClearAsync();
        fixture.Database.LoaderDown = true;

        await Assert.ThrowsAsync<CacheLoadException>(async () => await fixture.Cache.GetOrLoadAsync(1));
    }

    [Fact]
    public async Task A_load_running_during_the_clear_returns_to_its_callers_but_is_not_kept()
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Database.Rows[1] = "before";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;
        var load = fixture.Cache.GetOrLoadAsync(1).AsTask();

        await fixture.Cache.ClearAsync();
        fixture.Database.Gate = null;
        gate.SetResult();

        Assert.Equal("before", await load);
        Assert.False((await fixture.Cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task Entries_written_after_the_clear_are_served_to_every_instance()
    {
        await using var first = await LoadedAsync(new CacheFixture(withDistributed: true), 1);
        await first.Cache.ClearAsync();
        first.Time.Advance(TimeSpan.FromMilliseconds(1));
        await first.Cache.SetAsync(1, "after");

        await using var second = new CacheFixture(withDistributed: true, shareWith: first);

        Assert.Equal("after", (await second.Cache.TryGetAsync(1)).Value);
    }

    [Fact]
    public async Task A_clear_marker_that_could_not_be_written_is_written_once_the_level_answers_again()
    {
        await using var first = await LoadedAsync(new CacheFixture(withDistributed: true), 1);
        first.Distributed.Down = true;

        await first.Cache.ClearAsync(); // the failure is reported, not thrown
        Assert.DoesNotContain(Marker, first.Distributed.Keys);
        first.Distributed.Down = false;
        first.Time.Advance(TimeSpan.FromMilliseconds(1));
        await first.Cache.SetAsync(2, "v2"); // a successful write starts the repair

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!first.Distributed.Keys.Contains(Marker) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await using var second = new CacheFixture(withDistributed: true, shareWith: first);
        Assert.False((await second.Cache.TryGetAsync(1)).Found);
        Assert.Equal("v2", (await second.Cache.TryGetAsync(2)).Value);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    public async Task A_damaged_clear_marker_reads_as_cleared_now_so_older_entries_are_reloaded(byte[] damaged)
    {
        await using var first = await LoadedAsync(new CacheFixture(withDistributed: true), 1);
        first.Distributed.Put(Marker, damaged);
        first.Time.Advance(TimeSpan.FromMilliseconds(1));

        await using var second = new CacheFixture(withDistributed: true, shareWith: first);

        Assert.False((await second.Cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task Writes_still_queued_for_the_database_are_not_cleared()
    {
        await using var fixture = new CacheFixture(o => o.WriteStrategy = CacheWriteStrategy.WriteBack, withDistributed: true);
        await fixture.Cache.SetAsync(1, "queued");

        await fixture.Cache.ClearAsync();

        Assert.Equal("queued", await fixture.Cache.GetOrLoadAsync(1));
        await fixture.Cache.FlushAsync();
        Assert.Equal("queued", fixture.Database.Rows[1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_arriving_after_a_remove_or_clear_does_not_join_the_load_it_invalidated(bool clear)
    {
        await using var fixture = new CacheFixture(withDistributed: true);
        fixture.Database.Rows[1] = "old";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Database.Gate = gate;
        var before = fixture.Cache.GetOrLoadAsync(1).AsTask();
        while (fixture.Database.Loads == 0)
        {
            await Task.Delay(1);
        }

        fixture.Database.Rows[1] = "new";
        await (clear ? fixture.Cache.ClearAsync() : fixture.Cache.RemoveAsync(1));
        fixture.Database.Gate = null;

        // Joining the invalidated load would wait for its gate (and get what it read before the change).
        Assert.Equal("new", await fixture.Cache.GetOrLoadAsync(1).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("new", (await fixture.Cache.GetOrLoadManyAsync([1])).Single().Value);
        Assert.Equal(2, fixture.Database.Loads);
        gate.SetResult();
        await before;
        Assert.Equal("new", await fixture.Cache.GetOrLoadAsync(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_distributed_read_running_across_a_remove_or_clear_does_not_put_the_old_value_back_in_memory(bool clear)
    {
        await using var fixture = await LoadedAsync(new CacheFixture(withDistributed: true), 1);
        await using var other = new CacheFixture(withDistributed: true, shareWith: fixture);
        Assert.False((await other.Cache.TryGetAsync(2)).Found); // the marker is read; key 1 is not in other's memory
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Distributed.ReadGate = gate;
        var read = Task.Run(async () => await other.Cache.TryGetAsync(1));

        await Task.Delay(50); // the read waits in L2
        await (clear ? other.Cache.ClearAsync() : other.Cache.RemoveAsync(1));
        fixture.Distributed.ReadGate = null;
        gate.SetResult();
        await read;

        Assert.False((await other.Cache.TryGetAsync(1)).Found);
    }

    [Fact]
    public async Task A_clear_whose_marker_is_written_late_is_announced_again_to_the_other_instances()
    {
        var backplane = new RecordingBackplane();
        await using var fixture = await LoadedAsync(new CacheFixture(withDistributed: true, services: s => s.AddSingleton<ICacheBackplane>(backplane)), 1);
        fixture.Distributed.Down = true;

        await fixture.Cache.ClearAsync();
        fixture.Distributed.Down = false;
        fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        await fixture.Cache.SetAsync(2, "v2"); // a successful write starts the repair

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (backplane.Clears.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(2, backplane.Clears.Count);
        Assert.Equal(backplane.Clears.First(), backplane.Clears.Last());
    }

    [Fact]
    public async Task A_clear_never_writes_a_marker_older_than_a_clear_this_instance_has_heard_of()
    {
        var backplane = new RecordingBackplane();
        await using var fixture = new CacheFixture(withDistributed: true, services: s => s.AddSingleton<ICacheBackplane>(backplane));
        var later = fixture.Time.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds(); // another instance's clock runs ahead
        backplane.Deliver(new CacheInvalidation("items", CacheInvalidationKind.Clear, BitConverter.GetBytes(later), null));

        await fixture.Cache.ClearAsync();

        var marker = (await fixture.Distributed.GetAsync(Marker))!;
        Assert.Equal(later, BitConverter.ToInt64(marker));
    }

    private static async Task<CacheFixture> LoadedAsync(CacheFixture fixture, params int[] keys)
    {
        foreach (var key in keys)
        {
            fixture.Database.Rows[key] = $"v{key}";
            await fixture.Cache.GetOrLoadAsync(key);
        }

        fixture.Time.Advance(TimeSpan.FromMilliseconds(1)); // the clear comes after the writes, as in life
        return fixture;
    }

    /// <summary>A backplane in memory: records what the cache publishes and delivers what a test sends.</summary>
    private sealed class RecordingBackplane : ICacheBackplane
    {
        private ICacheInvalidationHandler? _handler;

        public System.Collections.Concurrent.ConcurrentQueue<long> Clears { get; } = new();

        public ValueTask PublishAsync(CacheInvalidation invalidation, CancellationToken cancellationToken)
        {
            if (invalidation.Kind == CacheInvalidationKind.Clear)
            {
                Clears.Enqueue(BitConverter.ToInt64(invalidation.Key.Span));
            }

            return ValueTask.CompletedTask;
        }

        public IDisposable Subscribe(ICacheInvalidationHandler handler)
        {
            _handler = handler;
            return new System.Threading.CancellationTokenSource();
        }

        public void Deliver(CacheInvalidation invalidation) => _handler!.OnInvalidation(invalidation);
    }
}
