using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>Sends requests and checks that an error answer is a Problem Details body (RFC 9457) with a traceId.</summary>
internal static class Problems
{
    /// <summary>A request with a raw body (which may be malformed on purpose).</summary>
    public static Task<HttpResponseMessage> SendAsync(this HttpClient http, HttpMethod method, string path, string? body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        return http.SendAsync(request);
    }

    /// <summary>
    /// Asserts that <paramref name="response"/> has <paramref name="status"/> and a Problem Details body with that status
    /// and a traceId; returns the body.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()), text);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("traceId").GetString()), text);
        return body;
    }

    /// <summary>The messages of one field in a validation problem's <c>errors</c> (fails when the field is not named).</summary>
    public static string[] ErrorsOf(this JsonElement problem, string field)
    {
        var messages = default(JsonElement);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages), $"errors name no '{field}': {problem}");
        return [.. messages.EnumerateArray().Select(m => m.GetString()!)];
    }

    /// <summary>The problem's machine-readable code.</summary>
    public static string? Code(this JsonElement problem) => problem.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>A JSON body for PostAsJsonAsync and the like.</summary>
    public static JsonContent Json(object value) => JsonContent.Create(value);
}
