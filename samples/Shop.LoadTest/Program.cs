using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

// Drives the Shop through its load balancer for a fixed time with a fixed number of workers, each owning its own
// customers, and writes down every answer: which orders were acknowledged, and the last cart version each customer had
// acknowledged and attempted, and for every acknowledged cart write which instance answered it (the X-Shop-Node response
// header, "-" when the Shop does not send it) and when (wall-clock UTC, Unix seconds). The cluster test checks the
// databases against these files after killing an instance.
//
//   Shop.LoadTest --url http://127.0.0.1:8080 --seconds 20 --workers 32 --out <dir> [--max-errors 50] [--max-error-rate 0.01]
//
// Exits with 3 when more requests failed than max(--max-errors, --max-error-rate x requests); without either option any
// number of errors is tolerated (the files are still written first).
var options = Arguments.Parse(args);
Directory.CreateDirectory(options.Out);

using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = options.Workers,
    PooledConnectionLifetime = TimeSpan.FromSeconds(5),   // reconnect now and then, so the balancer spreads the load again
    ConnectTimeout = TimeSpan.FromSeconds(5),
})
{
    BaseAddress = new Uri(options.Url),
    Timeout = TimeSpan.FromSeconds(30),
};

var latencies = new ConcurrentBag<double>();
var acknowledgedOrders = new ConcurrentBag<Guid>();
var attemptedOrders = new ConcurrentBag<Guid>();
var carts = new ConcurrentDictionary<long, (int Acknowledged, int Attempted)>();
var failures = new ConcurrentDictionary<string, int>();
var failureTimes = new ConcurrentBag<(double At, string What)>();
var cartAcknowledgements = new ConcurrentBag<(long Customer, int Version, string Node, double At)>();
var nodes = new ConcurrentDictionary<string, int>();
var requests = 0L;
var stopAt = Stopwatch.GetTimestamp() + (long)(options.Seconds * Stopwatch.Frequency);
var started = Stopwatch.StartNew();

await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(worker => Task.Run(async () =>
{
    var random = new Random(worker);
    var versions = new Dictionary<long, int>();
    for (var i = 0; Stopwatch.GetTimestamp() < stopAt; i++)
    {
        var customerId = 1_000_000L + (worker * 100) + random.Next(100);   // each customer belongs to one worker
        var begin = Stopwatch.GetTimestamp();
        string what;
        HttpStatusCode? status = null;
        string? problem = null;
        try
        {
            switch (i % 4)
            {
                case 0:
                {
                    what = "order";
                    var orderId = Guid.NewGuid();
                    attemptedOrders.Add(orderId);
                    using var response = await http.PostAsJsonAsync("/orders", new { orderId, customerId, productId = 1 + random.Next(100), quantity = 1 + random.Next(3) });
                    status = response.StatusCode;
                    problem = await ProblemCodeAsync(response);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledgedOrders.Add(orderId);
                        nodes.AddOrUpdate(Node(response), 1, (_, n) => n + 1);
                    }

                    break;
                }

                case 1:
                {
                    what = "cart";
                    var version = versions[customerId] = versions.GetValueOrDefault(customerId) + 1;
                    var cart = carts.GetOrAdd(customerId, (0, 0));
                    carts[customerId] = (cart.Acknowledged, version);
                    // The cart's version rides in its single line's product id, so the database can be checked against it.
                    using var response = await http.PutAsJsonAsync($"/carts/{customerId}", new { lines = new[] { new { productId = version, quantity = 1 } } });
                    status = response.StatusCode;
                    problem = await ProblemCodeAsync(response);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        carts[customerId] = (version, version);
                        cartAcknowledgements.Add((customerId, version, Node(response), UnixSeconds()));
                    }

                    break;
                }

                default:
                {
                    what = "product";
                    using var response = await http.GetAsync($"/products/{1 + random.Next(100)}");
                    status = response.StatusCode;
                    problem = await ProblemCodeAsync(response);
                    break;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            what = "transport";
            failures.AddOrUpdate($"{e.GetType().Name}: {e.InnerException?.Message ?? e.Message}", 1, (_, n) => n + 1);
            failureTimes.Add((UnixSeconds(), what));
        }

        Interlocked.Increment(ref requests);
        latencies.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
        if (status is { } code && (int)code >= 400)
        {
            failures.AddOrUpdate($"{what} {(int)code}{(problem is null ? "" : $" {problem}")}", 1, (_, n) => n + 1);
            failureTimes.Add((UnixSeconds(), $"{what} {(int)code}"));
        }
    }
})));

started.Stop();
var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
var errors = failures.Values.Sum();
var allowedErrors = options.MaxErrors is null && options.MaxErrorRate is null
    ? long.MaxValue
    : Math.Max(options.MaxErrors ?? 0, (long)Math.Floor((options.MaxErrorRate ?? 0) * requests));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"load: {requests} requests in {started.Elapsed.TotalSeconds:F1} s = {requests / started.Elapsed.TotalSeconds:F0} req/s; p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms; {acknowledgedOrders.Count} orders acknowledged of {attemptedOrders.Count}; {cartAcknowledgements.Count} cart writes acknowledged; {errors} errors{(allowedErrors == long.MaxValue ? "" : $" (at most {allowedErrors} allowed)")}"));
Console.WriteLine($"load: orders acknowledged per node (X-Shop-Node): {string.Join(", ", nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => $"{n.Key} {n.Value}"))}");
foreach (var (failure, count) in failures.OrderByDescending(f => f.Value))
{
    Console.WriteLine($"load:   {count} x {failure}");
}

await File.WriteAllLinesAsync(Path.Combine(options.Out, "orders-acknowledged.txt"), acknowledgedOrders.Select(id => id.ToString()));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "orders-attempted.txt"), attemptedOrders.Select(id => id.ToString()));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "carts.tsv"),
    carts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}\t{c.Value.Acknowledged}\t{c.Value.Attempted}")));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "cart-acks.tsv"),
    cartAcknowledgements.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Customer}\t{c.Version}\t{c.Node}\t{c.At:F3}")));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "errors.tsv"),
    failureTimes.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.At:F3}\t{f.What}")));
await File.WriteAllTextAsync(Path.Combine(options.Out, "summary.txt"), string.Create(CultureInfo.InvariantCulture,
    $"requests={requests} seconds={started.Elapsed.TotalSeconds:F1} p50={Percentile(0.50):F1} p99={Percentile(0.99):F1} errors={errors} allowed_errors={(allowedErrors == long.MaxValue ? -1 : allowedErrors)} acknowledged_orders={acknowledgedOrders.Count} acknowledged_carts={cartAcknowledgements.Count}\n"));
if (errors > allowedErrors)
{
    Console.WriteLine($"load: FAILED: {errors} errors, more than the {allowedErrors} allowed");
    return 3;
}

return 0;

// The instance that answered (nginx passes the Shop's X-Shop-Node header through), "-" when the Shop does not say.
static string Node(HttpResponseMessage response) =>
    response.Headers.TryGetValues("X-Shop-Node", out var values) && values.FirstOrDefault() is { Length: > 0 } node ? node : "-";

// An error answer's Problem Details code ("overloaded", "order-not-placed"...), so the summary says why, not only the status.
static async Task<string?> ProblemCodeAsync(HttpResponseMessage response)
{
    if (response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
    {
        return null;
    }

    try
    {
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }
    catch (System.Text.Json.JsonException)
    {
        return "(unreadable problem body)";
    }
}

static double UnixSeconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

/// <summary>The command line.</summary>
internal sealed record Arguments(string Url, double Seconds, int Workers, string Out, long? MaxErrors, double? MaxErrorRate)
{
    public static Arguments Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        var parsed = new Arguments(
            Value("--url", "http://127.0.0.1:8080"),
            double.Parse(Value("--seconds", "20"), CultureInfo.InvariantCulture),
            int.Parse(Value("--workers", "32"), CultureInfo.InvariantCulture),
            Value("--out", Path.Combine(Path.GetTempPath(), "shop-load")),
            Value("--max-errors", "") is { Length: > 0 } maxErrors ? long.Parse(maxErrors, CultureInfo.InvariantCulture) : null,
            Value("--max-error-rate", "") is { Length: > 0 } maxRate ? double.Parse(maxRate, CultureInfo.InvariantCulture) : null);
        if (parsed.Seconds <= 0 || parsed.Workers is < 1 or > 10_000 || parsed.MaxErrors < 0 || parsed.MaxErrorRate is < 0 or > 1)
        {
            throw new ArgumentException("--seconds must be above 0, --workers between 1 and 10,000, --max-errors at least 0 and --max-error-rate between 0 and 1.");
        }

        return parsed;
    }
}
