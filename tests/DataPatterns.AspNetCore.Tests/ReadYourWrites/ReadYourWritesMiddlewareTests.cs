using System.Net;
using DataPatterns.AspNetCore;
using DataPatterns.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace DataPatterns.AspNetCore.Tests.ReadYourWrites;

/// <summary>
/// A write in one request, a read in the next (a new scope and session; the token comes only from the cookie or header):
/// through the middleware the read sees the write every time, from the replica when it has it.
/// </summary>
public sealed class ReadYourWritesMiddlewareTests(NotesDatabase database, ITestOutputHelper output) : IClassFixture<NotesDatabase>
{
    private const int Iterations = 1000;
    private static long _nextId;

    [Fact]
    public async Task Every_read_after_a_write_in_the_previous_request_sees_it_1000_of_1000()
    {
        await using var app = await database.StartAsync(readYourWrites: true);
        var (found, fromReplica) = await WriteThenReadAsync(app, carryCookie: true);
        output.WriteLine($"with UseReadYourWrites: {found}/{Iterations} reads saw the previous request's write, {fromReplica} answered by the replica");
        Assert.Equal(Iterations, found);
    }

    [Fact]
    public async Task Without_the_middleware_the_next_request_reads_the_replica_and_may_miss_the_write()
    {
        await using var app = await database.StartAsync(readYourWrites: false);
        var (found, fromReplica) = await WriteThenReadAsync(app, carryCookie: true);
        output.WriteLine($"without UseReadYourWrites: {Iterations - found}/{Iterations} reads missed the previous request's write ({fromReplica} answered by the replica)");
        Assert.Equal(Iterations, fromReplica);
    }

    [Fact]
    public async Task A_writing_request_sets_an_HttpOnly_SameSite_Lax_cookie_and_a_reading_one_sets_none()
    {
        await using var app = await database.StartAsync(readYourWrites: true);
        var client = app.GetTestClient();
        using var read = await client.GetAsync(new Uri("/notes/-1", UriKind.Relative));
        Assert.False(read.Headers.Contains("Set-Cookie"));
        using var write = await client.PostAsync(new Uri($"/notes/{NextId()}", UriKind.Relative), null);
        var cookie = Assert.Single(write.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("dp-ryw=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=300", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_header_carrier_returns_the_token_and_takes_it_back()
    {
        await using var app = await database.StartAsync(readYourWrites: true, o => o.Carrier = ReadYourWritesCarrier.Header);
        var client = app.GetTestClient();
        for (var i = 0; i < 50; i++)
        {
            var id = NextId();
            using var write = await client.PostAsync(new Uri($"/notes/{id}", UriKind.Relative), null);
            Assert.False(write.Headers.Contains("Set-Cookie"));
            var token = Assert.Single(write.Headers.GetValues("X-Read-Your-Writes"));
            Assert.True(ConsistencyToken.TryParse(token, out _));
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/notes/{id}", UriKind.Relative));
            request.Headers.Add("X-Read-Your-Writes", token);
            using var read = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("-1")]
    [InlineData("-1/-1")]
    [InlineData("FFFFFFFF/FFFFFFFF")]
    [InlineData("0/0/0")]
    [InlineData("%00%ff")]
    [InlineData("huge")]
    public async Task A_tampered_or_garbage_cookie_or_header_never_fails_the_request(string value)
    {
        if (value == "huge")
        {
            value = new string('7', 8000);
        }

        await using var app = await database.StartAsync(readYourWrites: true, o => o.Carrier = ReadYourWritesCarrier.CookieAndHeader);
        var client = app.GetTestClient();
        var id = NextId();
        using (var write = await client.PostAsync(new Uri($"/notes/{id}", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/notes/{id}", UriKind.Relative));
        request.Headers.Add("Cookie", $"dp-ryw={value}");
        request.Headers.TryAddWithoutValidation("X-Read-Your-Writes", value);
        using var read = await client.SendAsync(request);
        Assert.True(read.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"status {read.StatusCode}");
    }

    [Fact]
    public async Task Invalid_options_fail_at_start_up_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => database.StartAsync(readYourWrites: true, o =>
        {
            o.MaxAge = TimeSpan.Zero;
            o.CookieName = "";
        }));
        Assert.Contains("MaxAge", error.Message, StringComparison.Ordinal);
        Assert.Contains("CookieName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseReadYourWrites_without_AddReadYourWrites_says_what_to_register()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        var error = Assert.Throws<InvalidOperationException>(() => app.UseReadYourWrites());
        Assert.Contains("AddReadYourWrites", error.Message, StringComparison.Ordinal);
    }

    private static long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>POST a note, then GET it in the next request carrying only the cookie the POST returned.</summary>
    private static async Task<(int Found, int FromReplica)> WriteThenReadAsync(WebApplication app, bool carryCookie)
    {
        var client = app.GetTestClient();
        int found = 0, fromReplica = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var id = NextId();
            string? cookie = null;
            using (var write = await client.PostAsync(new Uri($"/notes/{id}", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
                if (carryCookie && write.Headers.TryGetValues("Set-Cookie", out var cookies))
                {
                    cookie = cookies.Single().Split(';')[0];
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/notes/{id}", UriKind.Relative));
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", cookie);
            }

            using var read = await client.SendAsync(request);
            found += read.StatusCode == HttpStatusCode.OK ? 1 : 0;
            fromReplica += read.Headers.GetValues("X-Read-Port").Single() == NotesDatabase.ReplicaPort.ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1 : 0;
        }

        return (found, fromReplica);
    }
}
