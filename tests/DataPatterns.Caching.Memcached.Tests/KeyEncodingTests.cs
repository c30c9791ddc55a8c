using System.Buffers;
using System.Text;
using DataPatterns.Caching.Memcached.Client;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>No cache key, whatever it holds, can produce a malformed command or reach another key's value.</summary>
public class KeyEncodingTests
{
    [Property(MaxTest = 500, Arbitrary = [typeof(HostileKeys)])]
    public void Every_key_is_sent_as_at_most_250_base64_characters(string key)
    {
        var encoded = new byte[MetaKey.MaxEncodedLength];
        var length = MetaKey.Encode(key, encoded, out _);

        Assert.InRange(length, 4, 250);
        Assert.All(encoded[..length], b => Assert.True(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/' or (byte)'=', $"byte {b} in an encoded key"));
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(HostileKeys)])]
    public void Different_keys_are_sent_as_different_keys(string a, string b)
    {
        if (a == b)
        {
            return;
        }

        Assert.NotEqual(Encode(a), Encode(b));
    }

    [Property(MaxTest = 150, Arbitrary = [typeof(HostileKeys)])]
    public void Any_key_is_stored_and_read_back_on_a_real_server_and_never_reads_another_keys_value(string key, string other)
    {
        RoundTripAsync(key, other).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task A_key_built_to_look_like_a_second_command_is_only_a_key()
    {
        var servers = await MemcachedInstance.SharedServersAsync();
        await using var client = Clients.For(servers);
        var suffix = Guid.NewGuid().ToString("N");
        var injected = $"x{suffix} 1 T0\r\nhijacked\r\nms victim{suffix} 8 T0\r\nhijacked\r\nmg x";
        await client.SetAsync(injected, "value"u8.ToArray(), null);

        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(MetaStatus.Miss, (await client.GetAsync($"victim{suffix}", buffer)).Status);
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync(injected, buffer)).Status);
        Assert.Equal("value", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static async Task RoundTripAsync(string key, string other)
    {
        var servers = await MemcachedInstance.SharedServersAsync();
        await using var client = Clients.For(servers);
        var run = Guid.NewGuid().ToString("N")[..8];
        await client.SetAsync(run + key, Encoding.UTF8.GetBytes("value of " + key), TimeSpan.FromMinutes(1));

        var buffer = new ArrayBufferWriter<byte>();
        Assert.Equal(MetaStatus.Hit, (await client.GetAsync(run + key, buffer)).Status);
        Assert.Equal("value of " + key, Encoding.UTF8.GetString(buffer.WrittenSpan));
        if (other != key)
        {
            Assert.Equal(MetaStatus.Miss, (await client.GetAsync(run + other, new ArrayBufferWriter<byte>())).Status);
        }
    }

    private static string Encode(string key)
    {
        var encoded = new byte[MetaKey.MaxEncodedLength];
        return Encoding.ASCII.GetString(encoded, 0, MetaKey.Encode(key, encoded, out _));
    }

    /// <summary>Strings of spaces, CR/LF, control characters, protocol words, unicode and lengths around the 180-byte switch.</summary>
    public static class HostileKeys
    {
        public static Arbitrary<string> Strings()
        {
            var pieces = Gen.Elements(" ", "\r\n", "\n", "\r", "\0", "\t", "mg ", "ms ", "md ", "mn", " v t", "\u00e9", "\u4e2d", "\ud83d\ude00", "a", "Z", "9", ":", "=", "+/", new string('x', 90));
            var generated = Gen.ListOf(pieces).Select(parts => string.Concat(parts));
            var arbitrary = ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get);
            var nearLimit = Gen.Choose(170, 190).Select(n => new string('k', n));
            return Gen.OneOf(generated, arbitrary, nearLimit).ToArbitrary();
        }
    }
}
