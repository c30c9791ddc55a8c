using DataPatterns.Caching;
using DataPatterns.Cqrs;
using DataPatterns.Samples.Shop.Validation;
using DataPatterns.Sharding;

namespace DataPatterns.Samples.Shop.Hosting;

/// <summary>
/// The Shop's HTTP API. Every input is checked by <see cref="ShopRules"/> before anything is read or stored; ids come in
/// as text so that a wrong one is a 400 naming the field rather than a 404 for a route that does not match. Failures are
/// not caught here: they reach the exception handler, which answers with Problem Details.
/// </summary>
internal static class ShopEndpoints
{
    /// <summary>
    /// The <see cref="HttpContext.Items"/> key of the order id a request is placing: an error answer names it, so a client
    /// that let the Shop pick the id can still resend the same order (safe: 409 once placed) or look for it.
    /// </summary>
    public const string OrderIdItem = "shop.orderId";

    /// <summary>Maps every endpoint but /health and the tour.</summary>
    public static void MapShopEndpoints(this IEndpointRouteBuilder app)
    {
        MapCatalog(app);
        MapCarts(app);
        MapOrders(app);
    }

    // Catalogue: lazy loading + TTL on reads, write-through on writes, read-your-writes for the writer's next reads.
    private static void MapCatalog(IEndpointRouteBuilder app)
    {
        app.MapGet("/products/{id}", async (string id, [FromKeyedServices(ShopCaches.Products)] ICache<int, Product> products, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var productId = ShopRules.ProductId(id, "id", errors);
            if (!errors.IsEmpty)
            {
                return errors.ToResult();
            }

            return await products.GetOrLoadAsync(productId, ct) is { } product ? Results.Ok(product) : NotFound($"Product {productId} does not exist.");
        });

        app.MapGet("/products", async (string? after, string? count, ICatalogStore catalog, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var afterId = ShopRules.Optional(after, "after", 0, int.MaxValue, 0, errors);
            var pageSize = ShopRules.Optional(count, "count", 1, ShopRules.MaxPageSize, 20, errors);
            return errors.IsEmpty ? Results.Ok(await catalog.ListAsync((int)afterId, (int)pageSize, ct)) : errors.ToResult();
        });

        app.MapPut("/products/{id}", async (string id, ProductChange change, HttpContext http,
            [FromKeyedServices(ShopCaches.Products)] ICache<int, Product> products, IWriteConsistency consistency, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var productId = ShopRules.ProductId(id, "id", errors);
            var product = change.ToProduct(productId, errors);
            if (!errors.IsEmpty)
            {
                return errors.ToResult();
            }

            await products.SetAsync(productId, product, cancellationToken: ct);
            await consistency.AfterWriteAsync(http, ct);
            return Results.Ok(product);
        });
    }

    // Carts: write-back. The write returns once the cart is cached and queued; the database follows within a flush interval.
    private static void MapCarts(IEndpointRouteBuilder app)
    {
        app.MapGet("/carts/{customerId}", async (string customerId, [FromKeyedServices(ShopCaches.Carts)] ICache<long, Cart> carts, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var customer = ShopRules.CustomerId(customerId, "customerId", errors);
            if (!errors.IsEmpty)
            {
                return errors.ToResult();
            }

            return await carts.GetOrLoadAsync(customer, ct) is { } cart ? Results.Ok(cart) : NotFound($"Customer {customer} has no cart.");
        });

        app.MapPut("/carts/{customerId}", async (string customerId, CartChange change, [FromKeyedServices(ShopCaches.Carts)] ICache<long, Cart> carts, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var customer = ShopRules.CustomerId(customerId, "customerId", errors);
            var cart = change.ToCart(customer, errors);
            if (!errors.IsEmpty)
            {
                return errors.ToResult();
            }

            await carts.SetAsync(customer, cart, cancellationToken: ct);
            return Results.Accepted($"/carts/{customer}", cart);
        });
    }

    // Orders: a command through the CQRS dispatcher; the ledger commits payment and order in one two-phase commit.
    private static void MapOrders(IEndpointRouteBuilder app)
    {
        app.MapPost("/orders", async (OrderRequest request, HttpContext http, IDispatcher dispatcher, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var command = request.ToCommand(errors);
            if (!errors.IsEmpty)
            {
                return errors.ToResult();
            }

            http.Items[OrderIdItem] = command.OrderId;
            var placed = await dispatcher.SendAsync<PlaceOrder, OrderPlaced>(command, ct);
            return Results.Created($"/customers/{placed.CustomerId}/orders", placed);
        });

        app.MapGet("/customers/{customerId}/orders", async (string customerId, IDispatcher dispatcher, CancellationToken ct) =>
        {
            var errors = new RequestErrors();
            var customer = ShopRules.CustomerId(customerId, "customerId", errors);
            return errors.IsEmpty
                ? Results.Ok(await dispatcher.QueryAsync<GetOrderHistory, IReadOnlyList<OrderSummary>>(new GetOrderHistory(customer), ct))
                : errors.ToResult();
        });

        app.MapGet("/customers/{customerId}/shard", (string customerId, [FromKeyedServices(ShopShards.Orders)] ShardResolver<long> shards) =>
        {
            var errors = new RequestErrors();
            var customer = ShopRules.CustomerId(customerId, "customerId", errors);
            return errors.IsEmpty ? Results.Ok(new { customerId = customer, shard = shards.Resolve(customer).Name }) : errors.ToResult();
        });
    }

    private static IResult NotFound(string detail) => Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.",
        extensions: new Dictionary<string, object?> { ["code"] = "not-found" });
}
