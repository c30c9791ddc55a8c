using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPatterns.Shop.Tests;

/// <summary>The Shop refuses what a real shop would, with a 400 Problem Details body that names each wrong field and its fix.</summary>
public sealed class ShopValidationTests(EmbeddedShopFixture fixture) : IClassFixture<EmbeddedShopFixture>
{
    private HttpClient Http => fixture.Shop.Http;

    [Fact]
    public async Task A_price_with_more_than_two_decimals_is_refused_and_the_product_keeps_its_price()
    {
        using var set = await Http.PutAsJsonAsync("/products/31", new { name = "Kettle", price = 12.50m });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        using var refused = await Http.SendAsync(HttpMethod.Put, "/products/31", """{"name":"Kettle","price":0.004}""");
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("two decimals", Assert.Single(problem.ErrorsOf("price")), StringComparison.Ordinal);

        var stored = await Http.GetFromJsonAsync<JsonElement>("/products/31");
        Assert.Equal(12.50m, stored.GetProperty("price").GetDecimal());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1000000.01")]
    [InlineData("99999999999999")]
    public async Task A_price_not_above_zero_or_above_a_million_is_refused(string price)
    {
        using var response = await Http.SendAsync(HttpMethod.Put, "/products/32", $$"""{"name":"Kettle","price":{{price}}}""");
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("above 0 and at most 1,000,000", Assert.Single(problem.ErrorsOf("price")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_price_in_whole_cents_written_with_trailing_zeros_is_accepted_as_cents()
    {
        using var response = await Http.SendAsync(HttpMethod.Put, "/products/33", """{"name":"Kettle","price":7.500}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"price\":7.50}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Tea\u0000pot")]
    [InlineData("Tea\npot")]
    [InlineData("Tea\u200Bpot")]
    [InlineData("<script>alert(1)</script>")]
    public async Task A_name_that_is_empty_or_holds_control_invisible_or_markup_characters_is_refused(string name)
    {
        using var response = await Http.PutAsJsonAsync("/products/34", new { name, price = 3m });
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Single(problem.ErrorsOf("name"));
    }

    [Fact]
    public async Task A_name_longer_than_200_characters_is_refused_and_one_of_200_with_any_script_is_accepted()
    {
        using var tooLong = await Http.PutAsJsonAsync("/products/35", new { name = new string('a', 201), price = 3m });
        Assert.Contains("1 to 200 characters", Assert.Single((await tooLong.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("name")), StringComparison.Ordinal);

        using var accepted = await Http.PutAsJsonAsync("/products/35", new { name = "Théière à l'anglaise №5 🍵 " + new string('x', 170), price = 3m });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(1001)]
    public async Task A_quantity_outside_1_to_1000_is_refused_in_orders_and_in_carts(int quantity)
    {
        using var order = await Http.PostAsJsonAsync("/orders", new { customerId = 42, productId = 7, quantity });
        Assert.Single((await order.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("quantity"));

        using var cart = await Http.PutAsJsonAsync("/carts/42", new { lines = new[] { new { productId = 7, quantity } } });
        Assert.Single((await cart.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("lines[0].quantity"));
    }

    [Theory]
    [InlineData("/products/abc", "id")]
    [InlineData("/products/0", "id")]
    [InlineData("/products/2147483648", "id")]
    [InlineData("/products/+7", "id")]
    [InlineData("/carts/-5", "customerId")]
    [InlineData("/customers/9007199254740992/orders", "customerId")]
    [InlineData("/customers/1e3/shard", "customerId")]
    [InlineData("/products?count=0", "count")]
    [InlineData("/products?count=101", "count")]
    [InlineData("/products?after=x", "after")]
    public async Task An_id_or_paging_value_that_is_not_digits_in_range_is_refused_naming_it(string path, string field)
    {
        using var response = await Http.GetAsync(path);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("digits only", Assert.Single(problem.ErrorsOf(field)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_wrong_field_of_an_order_is_listed_in_one_answer()
    {
        using var response = await Http.PostAsJsonAsync("/orders", new { orderId = Guid.Empty, customerId = 0, productId = -1, quantity = 0 });
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        foreach (var field in new[] { "orderId", "customerId", "productId", "quantity" })
        {
            Assert.Single(problem.ErrorsOf(field));
        }
    }

    [Fact]
    public async Task A_cart_that_names_a_product_twice_or_has_a_null_line_or_no_lines_is_refused()
    {
        using var twice = await Http.SendAsync(HttpMethod.Put, "/carts/43", """{"lines":[{"productId":7,"quantity":1},{"productId":7,"quantity":2},null]}""");
        var problem = await twice.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("twice", Assert.Single(problem.ErrorsOf("lines[1].productId")), StringComparison.Ordinal);
        Assert.Single(problem.ErrorsOf("lines[2]"));

        using var none = await Http.SendAsync(HttpMethod.Put, "/carts/43", "{}");
        Assert.Single((await none.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("lines"));
    }

    [Theory]
    [InlineData("""{"name":"Kettle","price":""")]
    [InlineData("{")]
    [InlineData("not json")]
    public async Task Malformed_json_is_a_400_problem_not_an_empty_answer(string body)
    {
        using var response = await Http.SendAsync(HttpMethod.Put, "/products/36", body);
        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("unreadable-body", problem.Code());
        Assert.Single(problem.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task A_misspelt_field_is_refused_naming_it_rather_than_ignored()
    {
        using var response = await Http.SendAsync(HttpMethod.Put, "/products/37", """{"name":"Kettle","prise":12}""");
        Assert.Single((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("prise"));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_refused_naming_its_field()
    {
        using var response = await Http.SendAsync(HttpMethod.Post, "/orders", """{"customerId":42,"productId":7,"quantity":1.5}""");
        Assert.Single((await response.AssertProblemAsync(HttpStatusCode.BadRequest)).ErrorsOf("quantity"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("null")]
    public async Task A_missing_body_is_a_400_problem(string? body)
    {
        using var response = await Http.SendAsync(HttpMethod.Post, "/orders", body);
        Assert.Equal("missing-body", (await response.AssertProblemAsync(HttpStatusCode.BadRequest)).Code());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        using var response = await Http.SendAsync(HttpMethod.Post, "/orders", "customerId=42", "application/x-www-form-urlencoded");
        Assert.Equal("not-json", (await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType)).Code());
    }

    [Fact]
    public async Task A_body_over_64_KB_is_a_413_problem()
    {
        var lines = string.Join(',', Enumerable.Range(1, 5000).Select(i => $$"""{"productId":{{i}},"quantity":1}"""));
        using var response = await Http.SendAsync(HttpMethod.Put, "/carts/44", $$"""{"lines":[{{lines}}]}""");
        Assert.Equal("body-too-large", (await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge)).Code());
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem_and_a_wrong_method_a_405_problem_with_allow()
    {
        using var unknown = await Http.GetAsync("/nowhere");
        Assert.Equal("no-such-endpoint", (await unknown.AssertProblemAsync(HttpStatusCode.NotFound)).Code());

        using var wrongMethod = await Http.DeleteAsync("/products/7");
        Assert.Equal("method-not-allowed", (await wrongMethod.AssertProblemAsync(HttpStatusCode.MethodNotAllowed)).Code());
        Assert.Contains("PUT", wrongMethod.Content.Headers.Allow);
    }

    [Fact]
    public async Task An_unknown_product_is_a_404_problem_and_ordering_it_too()
    {
        using var read = await Http.GetAsync("/products/99999");
        Assert.Equal("not-found", (await read.AssertProblemAsync(HttpStatusCode.NotFound)).Code());

        using var order = await Http.PostAsJsonAsync("/orders", new { customerId = 42, productId = 99999, quantity = 1 });
        Assert.Equal("unknown-product", (await order.AssertProblemAsync(HttpStatusCode.NotFound)).Code());
    }
}
