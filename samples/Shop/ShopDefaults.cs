namespace DataPatterns.Samples.Shop;

/// <summary>Where the Shop listens when nobody says otherwise, which mode it runs in, and the tour it prints.</summary>
internal static class ShopDefaults
{
    /// <summary>The address when none is configured.</summary>
    public const string Url = "http://127.0.0.1:5080";

    /// <summary>"services" (<c>--services</c>, or <c>DATAPATTERNS_SHOP_SERVICES=1</c>) uses the servers of eng/services.sh; "embedded" runs on in-process stores.</summary>
    public static bool UsesServices(IConfiguration configuration) =>
        configuration.GetValue<bool>("services") || configuration["DATAPATTERNS_SHOP_SERVICES"] is "1" or "true";

    /// <summary>The mode's name, as /health reports it.</summary>
    public static string Mode(IConfiguration configuration) => UsesServices(configuration) ? "services" : "embedded";

    /// <summary>Lets <c>--services</c> stand alone on the command line, as a switch.</summary>
    public static string[] NormalizeArguments(string[] args) =>
        [.. args.Select(a => a == "--services" ? "--services=true" : a)];

    /// <summary>The requests to try, one pattern each; product 77 is not warmed up at start, so its first read loads it.</summary>
    public static string Tour(string url, bool services) =>
        $$"""
        A short tour (each command shows one pattern):
          curl {{url}}/health
          curl {{url}}/products/77                     # lazy loading + TTL: the first read loads, the next is a memory hit
          curl -X PUT {{url}}/products/77 -H 'content-type: application/json' -d '{"name":"Teapot","price":12.50}'
                                                        # write-through: database and cache updated in one call{{(services ? "; the response carries a read-your-writes token" : "")}}
          curl '{{url}}/products?after=70&count=10'    # a page of products{{(services ? " from the replica (or the primary, if the replica has not replayed your write)" : "")}}
          curl -X PUT {{url}}/carts/42 -H 'content-type: application/json' -d '{"lines":[{"productId":77,"quantity":2}]}'
                                                        # write-back: the cart is in the cache now, in the database within a second{{(services ? " (queued in a Redis stream, so a killed instance loses nothing)" : "")}}
          curl {{url}}/carts/42
          curl -X POST {{url}}/orders -H 'content-type: application/json' -d '{"customerId":42,"productId":77,"quantity":1}'
                                                        # two-phase commit: payment + order on the customer's shard, both or neither
          curl {{url}}/customers/42/shard              # which order shard customer 42 lives on
          curl {{url}}/customers/42/orders             # CQRS: the order history read model, kept by a projection
        """;
}
