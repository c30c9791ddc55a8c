using DataPatterns.Samples.Shop.Validation;
using FsCheck;
using FsCheck.Xunit;

namespace DataPatterns.Shop.Tests;

/// <summary>The price rule over many prices: accepted exactly when it is whole cents above 0 and at most 1,000,000.</summary>
public sealed class PriceRuleProperties
{
    [Property(MaxTest = 1000)]
    public bool A_price_is_accepted_exactly_when_it_is_whole_cents_above_zero_up_to_a_million(int units, byte scale)
    {
        var price = new decimal(Math.Abs(units % 200_000_000), 0, 0, units < 0, (byte)(scale % 6));
        var errors = new RequestErrors();
        ShopRules.Price(price, "price", errors);

        var wholeCents = price * 100 == decimal.Truncate(price * 100);
        return errors.IsEmpty == (price > 0 && price <= 1_000_000m && wholeCents);
    }
}
