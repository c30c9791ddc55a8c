namespace DataPatterns.Samples.Shop.Validation;

/// <summary>The body of PUT /products/{id}.</summary>
internal sealed record ProductChange(string? Name, decimal Price)
{
    /// <summary>The product to store, once every field is checked.</summary>
    public Product ToProduct(int id, RequestErrors errors)
    {
        var name = ShopRules.Name(Name, "name", errors);
        ShopRules.Price(Price, "price", errors);
        return new Product(id, name, decimal.Round(Price, 2));   // 12.500 is 12.50: same value, shown in cents
    }
}

/// <summary>The body of PUT /carts/{customerId}; an empty list empties the cart.</summary>
internal sealed record CartChange(IReadOnlyList<CartLine?>? Lines)
{
    /// <summary>The cart to store, once every line is checked.</summary>
    public Cart ToCart(long customerId, RequestErrors errors)
    {
        if (Lines is null)
        {
            errors.Add("lines", "lines is required: a list of {\"productId\", \"quantity\"} (an empty list empties the cart).");
            return new Cart(customerId, []);
        }

        if (Lines.Count > ShopRules.MaxCartLines)
        {
            errors.Add("lines", $"lines may hold at most {ShopRules.MaxCartLines} products.");
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < Math.Min(Lines.Count, ShopRules.MaxCartLines); i++)
        {
            var field = $"lines[{i}]";
            if (Lines[i] is not { } line)
            {
                errors.Add(field, $"{field} must be an object {{\"productId\", \"quantity\"}}, not null.");
                continue;
            }

            ShopRules.ProductId(line.ProductId, $"{field}.productId", errors);
            ShopRules.Quantity(line.Quantity, $"{field}.quantity", errors);
            if (line.ProductId >= 1 && !seen.Add(line.ProductId))
            {
                errors.Add($"{field}.productId", $"{field}.productId: product {line.ProductId} is in the cart twice; put its whole quantity in one line.");
            }
        }

        return new Cart(customerId, [.. Lines.OfType<CartLine>()]);
    }
}

/// <summary>The body of POST /orders; the client may choose the order id, which makes a retry safe (409 once placed).</summary>
internal sealed record OrderRequest(Guid? OrderId, long CustomerId, int ProductId, int Quantity)
{
    /// <summary>The command, once every field is checked; the Shop picks the order id when the client did not.</summary>
    public PlaceOrder ToCommand(RequestErrors errors)
    {
        ShopRules.OrderId(OrderId, "orderId", errors);
        ShopRules.CustomerId(CustomerId, "customerId", errors);
        ShopRules.ProductId(ProductId, "productId", errors);
        ShopRules.Quantity(Quantity, "quantity", errors);
        return new PlaceOrder(OrderId ?? Guid.NewGuid(), CustomerId, ProductId, Quantity);
    }
}
