using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Caching.Tests;

public class SerializationTests
{
    [Fact]
    public async Task A_serializer_registered_in_DI_replaces_System_Text_Json_for_its_type()
    {
        var serializer = new UpperCaseSerializer();
        await using var fixture = new CacheFixture(
            o => o.Memory.Enabled = false,
            withDistributed: true,
            services: s => s.AddSingleton<ICacheSerializer<string>>(serializer));

        await fixture.Cache.SetAsync(1, "hello");

        Assert.Equal("HELLO", await fixture.Cache.GetOrLoadAsync(1));
        Assert.True(serializer.Calls >= 2);
    }

    [Fact]
    public void The_default_serializer_reads_no_type_names_from_the_data()
    {
        var serializer = new JsonCacheSerializer<Animal>();
        var bytes = Encoding.UTF8.GetBytes("""{"$type":"System.IO.FileInfo","name":"cat"}""");

        var animal = serializer.Deserialize(bytes);

        Assert.IsType<Animal>(animal);
        Assert.Equal("cat", animal!.Name);
    }

    public sealed class Animal
    {
        public string? Name { get; set; }
    }

    private sealed class UpperCaseSerializer : ICacheSerializer<string>
    {
        public int Calls { get; private set; }

        public void Serialize(string value, IBufferWriter<byte> destination)
        {
            Calls++;
            destination.Write(Encoding.UTF8.GetBytes(value.ToUpperInvariant()));
        }

        public string? Deserialize(ReadOnlySpan<byte> source)
        {
            Calls++;
            return Encoding.UTF8.GetString(source);
        }
    }
}
