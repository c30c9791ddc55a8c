using DataPatterns.Samples.Shop;
using DataPatterns.Samples.Shop.Embedded;
using DataPatterns.Samples.Shop.Hosting;
using DataPatterns.Samples.Shop.Hosting.Health;
using DataPatterns.Samples.Shop.Hosting.Overload;
using DataPatterns.Samples.Shop.Hosting.Problems;
using DataPatterns.Samples.Shop.MariaDb;
using DataPatterns.Samples.Shop.Postgres;
using DataPatterns.Samples.Shop.Postgres.Budget;

var builder = WebApplication.CreateBuilder(ShopDefaults.NormalizeArguments(args));
var services = ShopDefaults.UsesServices(builder.Configuration);

// With no address configured (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS as container images set it, or Kestrel
// endpoints) the Shop listens on a fixed loopback port, so the README's tour works as written.
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls(ShopDefaults.Url);
}

// SIGTERM (a spot VM reclaimed with notice, a rolling deploy): stop taking requests, finish the ones in flight, and let
// the caches flush their write-back queues before the process goes.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
// A load balancer opening thousands of connections at once must queue in the accept backlog, not time out (C10K); the
// kernel caps it at net.core.somaxconn.
builder.WebHost.UseSockets(o => o.Backlog = 8192);

// Carts are flushed every 500 ms unless --writeBackFlushSeconds says otherwise (the cluster test's SIGTERM check sets 600).
var writeBackFlushInterval = builder.Configuration["writeBackFlushSeconds"] is { } seconds
    ? TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture))
    : TimeSpan.FromMilliseconds(500);
ShopServers? servers = null;
MariaDbOrders? mariaDbOrders = null;
if (services)
{
    // Pools sized from each server's max_connections, shared among the instances, so that a cluster under overload waits
    // for a pooled connection rather than being refused by the server ("too many clients").
    var budgetOptions = builder.Services.AddShopConnectionBudget(builder.Configuration);
    var budgets = await ConnectionBudget.PlanAsync(ShopServers.FromConfiguration(builder.Configuration), budgetOptions, CancellationToken.None);
    servers = ShopServers.FromConfiguration(builder.Configuration).WithPools(budgets);
    // --orderShards=mariadb: the order shards on MariaDB, each order one two-phase commit across the two engines.
    mariaDbOrders = await MariaDbOrders.FromConfigurationAsync(builder.Configuration, budgetOptions, CancellationToken.None);
    builder.Services.AddSingleton(budgets);
    builder.Services.AddShopOnServers(servers, writeBackFlushInterval, mariaDbOrders);
    builder.Services.AddShopRouterConcurrency(builder.Configuration, budgets);
}
else if (MariaDbOrders.IsSelected(builder.Configuration))
{
    throw new InvalidOperationException("--orderShards=mariadb puts the order shards on the MariaDB servers of eng/services.sh: add --services.");
}
else
{
    var dataDirectory = builder.Configuration["data"] ?? Path.Combine(Path.GetTempPath(), "datapatterns-shop");
    Directory.CreateDirectory(dataDirectory);
    builder.Services.AddShopEmbedded(dataDirectory, writeBackFlushInterval);
}

builder.Services.AddShopProblemDetails();
builder.Services.AddShopHealthChecks(onServers: services);
builder.Services.AddShopTelemetry(builder.Configuration);
builder.Services.AddShopOverloadProtection(builder.Configuration);

var app = builder.Build();
// Which instance answered: the load test uses it to check what a killed instance had acknowledged. Set as the response
// starts, so that an error answer (whose headers the exception handler clears) carries it too.
var instance = app.Configuration["node"] ?? "embedded";
app.Use((context, next) =>
{
    context.Response.OnStarting(() =>
    {
        context.Response.Headers["X-Shop-Node"] = instance;
        return Task.CompletedTask;
    });
    return next(context);
});
// Errors next, so that everything after them answers with Problem Details; then routing, so that the limiter sees
// which endpoint a request is for (/health is not limited).
app.UseShopProblemDetails();
app.UseRouting();
app.UseShopOverloadProtection();
if (servers is not null)
{
    await ShopSchema.EnsureAsync(servers, app.Lifetime.ApplicationStopping);
    if (mariaDbOrders is not null)
    {
        await MariaDbShopSchema.EnsureAsync(mariaDbOrders, app.Lifetime.ApplicationStopping);
    }

    app.UseReadYourWrites();
}

app.MapGet("/health", () => Results.Ok(new { status = "healthy", mode = ShopDefaults.Mode(app.Configuration) })).DisableRateLimiting();
app.MapShopHealth();
app.MapGet("/", () => Results.Text(ShopDefaults.Tour(app.Urls.FirstOrDefault() ?? ShopDefaults.Url, services)));
app.MapShopEndpoints();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Urls.FirstOrDefault() ?? ShopDefaults.Url;
    Console.WriteLine($"Shop listening on {string.Join(", ", app.Urls)} ({ShopDefaults.Mode(app.Configuration)} mode)");
    Console.WriteLine(ShopDefaults.Tour(url, services));
});

await app.RunAsync();
