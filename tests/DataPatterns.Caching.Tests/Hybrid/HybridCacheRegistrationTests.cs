using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataPatterns.Caching.Tests.Hybrid;

/// <summary>One call registers the adapter as <see cref="HybridCache"/>; HybridCache serializers are used for L2.</summary>
public class HybridCacheRegistrationTests
{
    [Fact]
    public async Task AddHybridCache_makes_the_adapter_the_HybridCache_of_the_application()
    {
        await using var fixture = new HybridFixture();
        Assert.IsType<DataPatternsHybridCache>(fixture.Cache);
    }

    [Fact]
    public async Task AddHybridCache_replaces_a_HybridCache_registered_before_and_survives_one_tried_after()
    {
        await using var fixture = new HybridFixture(services: s => s.TryAddSingleton<HybridCache, OtherHybridCache>());
        Assert.IsType<DataPatternsHybridCache>(fixture.Cache);

        var services = new ServiceCollection();
        services.AddSingleton<HybridCache, OtherHybridCache>();
        services.AddCaching().AddHybridCache();
        await using var provider = services.BuildServiceProvider();
        Assert.IsType<DataPatternsHybridCache>(provider.GetRequiredService<HybridCache>());
    }

    [Fact]
    public void AddHybridCache_twice_with_one_name_is_refused()
    {
        var caching = new ServiceCollection().AddCaching().AddHybridCache();
        var error = Assert.Throws<InvalidOperationException>(() => caching.AddHybridCache());
        Assert.Contains("hybrid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_IHybridCacheSerializer_writes_and_reads_the_distributed_level()
    {
        var serializer = new UpperCaseSerializer();
        await using var writer = new HybridFixture(withDistributed: true, services: s => s.AddSingleton<IHybridCacheSerializer<Note>>(serializer));
        await writer.Cache.SetAsync("k", new Note("hello"));
        await using var reader = new HybridFixture(sharedDistributed: writer.Distributed, time: writer.Time, services: s => s.AddSingleton<IHybridCacheSerializer<Note>>(serializer));

        var note = await reader.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(new Note("factory")));

        Assert.Equal("HELLO", note.Text); // went through the serializer both ways
        Assert.True(serializer.Reads > 0);
    }

    [Fact]
    public async Task An_IHybridCacheSerializerFactory_is_asked_for_types_without_a_serializer_of_their_own()
    {
        var factory = new NoteSerializerFactory();
        await using var writer = new HybridFixture(withDistributed: true, services: s => s.AddSingleton<IHybridCacheSerializerFactory>(factory));
        await writer.Cache.SetAsync("k", new Note("hello"));
        await writer.Cache.SetAsync("n", 5);
        await using var reader = new HybridFixture(sharedDistributed: writer.Distributed, time: writer.Time, services: s => s.AddSingleton<IHybridCacheSerializerFactory>(factory));

        Assert.Equal("HELLO", (await reader.Cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(new Note("factory")))).Text);
        Assert.Equal(5, await reader.Cache.GetOrCreateAsync("n", _ => ValueTask.FromResult(0))); // int: JSON
    }

    public sealed record Note(string Text);

    private sealed class UpperCaseSerializer : IHybridCacheSerializer<Note>
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public Note Deserialize(ReadOnlySequence<byte> source)
        {
            Interlocked.Increment(ref _reads);
            return new Note(Encoding.UTF8.GetString(source.ToArray()));
        }

        public void Serialize(Note value, IBufferWriter<byte> target) => target.Write(Encoding.UTF8.GetBytes(value.Text.ToUpperInvariant()));
    }

    private sealed class NoteSerializerFactory : IHybridCacheSerializerFactory
    {
        public bool TryCreateSerializer<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IHybridCacheSerializer<T>? serializer)
        {
            serializer = typeof(T) == typeof(Note) ? (IHybridCacheSerializer<T>)(object)new UpperCaseSerializer() : null;
            return serializer is not null;
        }
    }

    private sealed class OtherHybridCache : HybridCache
    {
        public override ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public override ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
