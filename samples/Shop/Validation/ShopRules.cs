using System.Globalization;

namespace DataPatterns.Samples.Shop.Validation;

/// <summary>
/// What the Shop accepts, checked before anything is stored: each check names the field and says the fix, so a client
/// learns every mistake of a request from one answer.
/// </summary>
internal static class ShopRules
{
    /// <summary>The largest body the Shop reads (a full cart is about 4 KB).</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The highest price; the database keeps 12 digits with 2 decimals, and no product costs more.</summary>
    public const decimal MaxPrice = 1_000_000m;

    /// <summary>The most of one product in one order or cart line.</summary>
    public const int MaxQuantity = 1000;

    /// <summary>The most lines in a cart.</summary>
    public const int MaxCartLines = 100;

    /// <summary>The longest product name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The most products in one page.</summary>
    public const int MaxPageSize = 100;

    /// <summary>The highest customer id: the largest integer a JSON client (JavaScript, say) keeps exactly.</summary>
    public const long MaxCustomerId = 9_007_199_254_740_991;

    /// <summary>A product id from the route or the query: digits only, 1 to 2,147,483,647.</summary>
    public static int ProductId(string? raw, string field, RequestErrors errors) =>
        (int)WholeNumber(raw, field, 1, int.MaxValue, errors);

    /// <summary>A customer id from the route: digits only, 1 to <see cref="MaxCustomerId"/>.</summary>
    public static long CustomerId(string? raw, string field, RequestErrors errors) =>
        WholeNumber(raw, field, 1, MaxCustomerId, errors);

    /// <summary>An optional whole number from the query string; <paramref name="absent"/> when not given.</summary>
    public static long Optional(string? raw, string field, long min, long max, long absent, RequestErrors errors) =>
        raw is null ? absent : WholeNumber(raw, field, min, max, errors);

    /// <summary>A product id inside a body.</summary>
    public static void ProductId(int value, string field, RequestErrors errors)
    {
        if (value < 1)
        {
            errors.Add(field, $"{field} must be a product id from 1 to {int.MaxValue.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>A customer id inside a body.</summary>
    public static void CustomerId(long value, string field, RequestErrors errors)
    {
        if (value is < 1 or > MaxCustomerId)
        {
            errors.Add(field, $"{field} must be a customer id from 1 to {MaxCustomerId.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>A quantity: 1 to <see cref="MaxQuantity"/>.</summary>
    public static void Quantity(int value, string field, RequestErrors errors)
    {
        if (value is < 1 or > MaxQuantity)
        {
            errors.Add(field, $"{field} must be a whole number from 1 to {MaxQuantity.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>A price: above 0, at most <see cref="MaxPrice"/>, in whole cents (0.004 would be stored as a free product).</summary>
    public static void Price(decimal value, string field, RequestErrors errors)
    {
        if (value <= 0 || value > MaxPrice)
        {
            errors.Add(field, $"{field} must be above 0 and at most {MaxPrice.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
        else if (decimal.Round(value, 2) != value)
        {
            errors.Add(field, $"{field} must have at most two decimals (whole cents, such as 12.50); {value.ToString(CultureInfo.InvariantCulture)} has more.");
        }
    }

    /// <summary>
    /// A product name: 1 to <see cref="MaxNameLength"/> characters once trimmed; letters, digits, spaces, punctuation and
    /// symbols, but no control or invisible characters (they hide text in listings and logs) and no angle brackets (a name
    /// is never markup).
    /// </summary>
    public static string Name(string? value, string field, RequestErrors errors)
    {
        var name = value?.Trim() ?? string.Empty;
        if (name.Length is 0 or > MaxNameLength)
        {
            errors.Add(field, $"{field} is required: 1 to {MaxNameLength} characters, not only spaces.");
        }
        else if (name.Any(IsRefused) || !IsWellFormed(name))
        {
            errors.Add(field, $"{field} may hold letters, digits, spaces, punctuation and symbols, but no control or invisible characters (tabs, line breaks, zero-width spaces) and no '<' or '>'.");
        }

        return name;
    }

    /// <summary>An order id chosen by the client: any UUID but the all-zero one.</summary>
    public static void OrderId(Guid? value, string field, RequestErrors errors)
    {
        if (value == Guid.Empty)
        {
            errors.Add(field, $"{field} must be a UUID other than all zeros (or left out, and the Shop picks one).");
        }
    }

    private static long WholeNumber(string? raw, string field, long min, long max, RequestErrors errors)
    {
        // Digits only: no sign, spaces, decimals or exponent, and no more digits than the largest value has.
        if (raw is not { Length: > 0 } || raw.Length > 19 || !raw.All(char.IsAsciiDigit)
            || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add(field, $"{field} must be a whole number from {min.ToString("N0", CultureInfo.InvariantCulture)} to {max.ToString("N0", CultureInfo.InvariantCulture)}, written in digits only.");
            return min;
        }

        return value;
    }

    private static bool IsRefused(char c) => c is '<' or '>' || CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => true,
        _ => false,
    };

    // Surrogates must come in pairs: a lone one is not a character.
    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
