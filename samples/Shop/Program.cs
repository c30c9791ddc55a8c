using DataPatterns.Caching;
using DataPatterns.Cqrs;
using DataPatterns.Samples.Shop;
using DataPatterns.Samples.Shop.Embedded;
using DataPatterns.Samples.Shop.Postgres;
using DataPatterns.Sharding;
using DataPatterns.Transactions;

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
if (services)
{
    servers = ShopServers.FromConfiguration(builder.Configuration);
    // The coordinator's node id must be unique per instance and survive its restarts: the replacement of a dead instance
    // finishes that instance's prepared transactions, and nobody else does. A host name is neither (two instances on one
    // host, a spot VM replaced under a new name), so it is asked for.
    var nodeId = builder.Configuration["node"] is { Length: > 0 } node
        ? node
        : throw new InvalidOperationException("--services needs --node=NAME: a name unique to this instance that its replacement reuses (a StatefulSet ordinal, say), so that it can finish this instance's in-doubt orders.");
    builder.Services.AddShopOnServers(servers, nodeId, writeBackFlushInterval);
}
else
{
    var dataDirectory = builder.Configuration["data"] ?? Path.Combine(Path.GetTempPath(), "datapatterns-shop");
    Directory.CreateDirectory(dataDirectory);
    builder.Services.AddShopEmbedded(dataDirectory, writeBackFlushInterval);
}

var app = builder.Build();
// Which instance answered: the load test uses it to check what a killed instance had acknowledged.
var instance = app.Configuration["node"] ?? "embedded";
app.Use((context, next) =>
{
    context.Response.Headers["X-Shop-Node"] = instance;
    return next(context);
});
if (servers is not null)
{
    await ShopSchema.EnsureAsync(servers, app.Lifetime.ApplicationStopping);
    app.Use((context, next) =>
    {
        PostgresWriteConsistency.ObserveRequest(context);
        return next(context);
    });
}

app.MapGet("/health", () => Results.Ok(new { status = "healthy", mode = ShopDefaults.Mode(app.Configuration) }));
app.MapGet("/", () => Results.Text(ShopDefaults.Tour(app.Urls.FirstOrDefault() ?? ShopDefaults.Url, services)));

// Catalogue: lazy loading + TTL on reads, write-through on writes, read-your-writes for the writer's next reads.
app.MapGet("/products/{id:int}", async (int id, [FromKeyedServices(ShopCaches.Products)] ICache<int, Product> products, CancellationToken ct) =>
    id < 1 ? Results.BadRequest(new { error = "product ids start at 1." })
    : await products.GetOrLoadAsync(id, ct) is { } product ? Results.Ok(product) : Results.NotFound());

app.MapGet("/products", async (int? after, int? count, ICatalogStore catalog, CancellationToken ct) =>
    count is < 1 or > 100 ? Results.BadRequest(new { error = "count must be between 1 and 100." })
    : Results.Ok(await catalog.ListAsync(after ?? 0, count ?? 20, ct)));

app.MapPut("/products/{id:int}", async (int id, ProductChange change, HttpContext http,
    [FromKeyedServices(ShopCaches.Products)] ICache<int, Product> products, IWriteConsistency consistency, CancellationToken ct) =>
{
    if (id < 1 || string.IsNullOrWhiteSpace(change.Name) || change.Name.Length > 200 || change.Price is <= 0 or > 1_000_000)
    {
        return Results.BadRequest(new { error = "a product needs an id from 1, a name of 1 to 200 characters, and a price above 0 and at most 1,000,000." });
    }

    var product = new Product(id, change.Name.Trim(), decimal.Round(change.Price, 2));
    await products.SetAsync(id, product, cancellationToken: ct);
    await consistency.AfterWriteAsync(http, ct);
    return Results.Ok(product);
});

// Carts: write-back. The write returns once the cart is cached and queued; the database follows within a flush interval.
app.MapGet("/carts/{customerId:long}", async (long customerId, [FromKeyedServices(ShopCaches.Carts)] ICache<long, Cart> carts, CancellationToken ct) =>
    await carts.GetOrLoadAsync(customerId, ct) is { } cart ? Results.Ok(cart) : Results.NotFound());

app.MapPut("/carts/{customerId:long}", async (long customerId, CartChange change, [FromKeyedServices(ShopCaches.Carts)] ICache<long, Cart> carts, CancellationToken ct) =>
{
    if (customerId < 1 || change.Lines is null || change.Lines.Count > 100 || change.Lines.Any(l => l is null || l.ProductId < 1 || l.Quantity is < 1 or > 1000))
    {
        return Results.BadRequest(new { error = "a cart needs a customer id from 1 and at most 100 lines of product id from 1 and quantity 1 to 1000." });
    }

    var cart = new Cart(customerId, change.Lines);
    await carts.SetAsync(customerId, cart, cancellationToken: ct);
    return Results.Accepted($"/carts/{customerId}", cart);
});

// Orders: a command through the CQRS dispatcher; the ledger commits payment and order in one two-phase commit.
app.MapPost("/orders", async (OrderRequest request, IDispatcher dispatcher, CancellationToken ct) =>
{
    if (request.CustomerId < 1 || request.ProductId < 1 || request.Quantity is < 1 or > 1000)
    {
        return Results.BadRequest(new { error = "customerId and productId start at 1; quantity is 1 to 1000." });
    }

    try
    {
        var placed = await dispatcher.SendAsync<PlaceOrder, OrderPlaced>(
            new PlaceOrder(request.OrderId ?? Guid.NewGuid(), request.CustomerId, request.ProductId, request.Quantity), ct);
        return Results.Created($"/customers/{placed.CustomerId}/orders", placed);
    }
    catch (OrderRejectedException e)
    {
        return e.Reason switch
        {
            OrderRejection.UnknownProduct => Results.NotFound(new { error = e.Message }),
            OrderRejection.Duplicate => Results.Conflict(new { error = e.Message }),
            _ => Results.BadRequest(new { error = e.Message }),
        };
    }
    catch (TwoPhaseCommitAbortedException e)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The order was not placed: nothing was charged.");
    }
});

app.MapGet("/customers/{customerId:long}/orders", async (long customerId, IDispatcher dispatcher, CancellationToken ct) =>
    Results.Ok(await dispatcher.QueryAsync<GetOrderHistory, IReadOnlyList<OrderSummary>>(new GetOrderHistory(customerId), ct)));

app.MapGet("/customers/{customerId:long}/shard", (long customerId, [FromKeyedServices(ShopShards.Orders)] ShardResolver<long> shards) =>
    Results.Ok(new { customerId, shard = shards.Resolve(customerId).Name }));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Urls.FirstOrDefault() ?? ShopDefaults.Url;
    Console.WriteLine($"Shop listening on {string.Join(", ", app.Urls)} ({ShopDefaults.Mode(app.Configuration)} mode)");
    Console.WriteLine(ShopDefaults.Tour(url, services));
});

await app.RunAsync();

/// <summary>The body of PUT /products/{id}.</summary>
internal sealed record ProductChange(string Name, decimal Price);

/// <summary>The body of PUT /carts/{customerId}.</summary>
internal sealed record CartChange(IReadOnlyList<CartLine> Lines);

/// <summary>The body of POST /orders; the client may choose the order id (idempotent retries).</summary>
internal sealed record OrderRequest(Guid? OrderId, long CustomerId, int ProductId, int Quantity);
