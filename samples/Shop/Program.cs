using DataPatterns.Samples.Shop;

var builder = WebApplication.CreateBuilder(args);

// With no --urls and no ASPNETCORE_URLS the Shop listens on a fixed loopback port, so the README's tour works as written.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls(ShopDefaults.Url);
}

var app = builder.Build();

app.MapGet("/health", () => Results.Ok(new { status = "healthy", mode = ShopDefaults.Mode(app.Configuration) }));
app.MapGet("/", () => Results.Text(ShopDefaults.Tour(app.Urls.FirstOrDefault() ?? ShopDefaults.Url)));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Urls.FirstOrDefault() ?? ShopDefaults.Url;
    Console.WriteLine($"Shop listening on {string.Join(", ", app.Urls)} ({ShopDefaults.Mode(app.Configuration)} mode)");
    Console.WriteLine(ShopDefaults.Tour(url));
});

await app.RunAsync();
