using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

// Drives the Shop through its load balancer for a fixed time with a fixed number of workers, each owning its own
// customers, and writes down every answer: which orders were acknowledged, and the last cart version each customer had
// acknowledged and attempted. The cluster test checks the databases against these files after killing an instance.
//
//   Shop.LoadTest --url http://127.0.0.1:8080 --seconds 20 --workers 32 --out <dir>
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
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledgedOrders.Add(orderId);
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
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        carts[customerId] = (version, version);
                    }

                    break;
                }

                default:
                {
                    what = "product";
                    using var response = await http.GetAsync($"/products/{1 + random.Next(100)}");
                    status = response.StatusCode;
                    break;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            what = "transport";
            failures.AddOrUpdate($"{e.GetType().Name}: {e.InnerException?.Message ?? e.Message}", 1, (_, n) => n + 1);
        }

        Interlocked.Increment(ref requests);
        latencies.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
        if (status is { } code && (int)code >= 400)
        {
            failures.AddOrUpdate($"{what} {(int)code}", 1, (_, n) => n + 1);
        }
    }
})));

started.Stop();
var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
var errors = failures.Values.Sum();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"load: {requests} requests in {started.Elapsed.TotalSeconds:F1} s = {requests / started.Elapsed.TotalSeconds:F0} req/s; p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms; {acknowledgedOrders.Count} orders acknowledged of {attemptedOrders.Count}; {errors} errors"));
foreach (var (failure, count) in failures.OrderByDescending(f => f.Value))
{
    Console.WriteLine($"load:   {count} x {failure}");
}

await File.WriteAllLinesAsync(Path.Combine(options.Out, "orders-acknowledged.txt"), acknowledgedOrders.Select(id => id.ToString()));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "orders-attempted.txt"), attemptedOrders.Select(id => id.ToString()));
await File.WriteAllLinesAsync(Path.Combine(options.Out, "carts.tsv"),
    carts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}\t{c.Value.Acknowledged}\t{c.Value.Attempted}")));
await File.WriteAllTextAsync(Path.Combine(options.Out, "summary.txt"), string.Create(CultureInfo.InvariantCulture,
    $"requests={requests} seconds={started.Elapsed.TotalSeconds:F1} p50={Percentile(0.50):F1} p99={Percentile(0.99):F1} errors={errors}\n"));

/// <summary>The command line.</summary>
internal sealed record Arguments(string Url, double Seconds, int Workers, string Out)
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
            Value("--out", Path.Combine(Path.GetTempPath(), "shop-load")));
        if (parsed.Seconds <= 0 || parsed.Workers is < 1 or > 10_000)
        {
            throw new ArgumentException("--seconds must be above 0 and --workers between 1 and 10,000.");
        }

        return parsed;
    }
}
