namespace DataPatterns.Shop.Tests;

/// <summary>One Shop with no servers and default settings, shared by a test class.</summary>
public sealed class EmbeddedShopFixture : IAsyncLifetime
{
    private ShopInstance? _shop;

    /// <summary>The running Shop.</summary>
    internal ShopInstance Shop => _shop ?? throw new InvalidOperationException("The Shop has not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _shop = await ShopInstance.StartAsync([]);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_shop is not null)
        {
            await _shop.DisposeAsync();
        }
    }
}
