using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Caching.Tests;

/// <summary>What a stored name is made from: an application, a cache, the kind of name and (for most kinds) a user string.</summary>
public enum StoredKind
{
    Data,
    Tag,
    Lock,
    WriteBack,
    Clear,
}

public sealed record StoredPlace(string Application, string Cache, StoredKind Kind, string User);

public sealed record PlacePair(StoredPlace A, StoredPlace B);

/// <summary>
/// The distributed store's names (layout 2) are injective over (application, cache, kind, user string): a cache key or tag
/// a user chooses never names another entry, another cache's entry, or the library's own markers, locks and stream.
/// </summary>
public class KeyLayoutTests
{
    [Property(MaxTest = 2000, Arbitrary = [typeof(Places)])]
    public Property Every_stored_name_reads_back_as_the_application_cache_kind_and_user_string_it_was_made_from(StoredPlace place) =>
        (Parse(NameOf(place)) == place).Label(NameOf(place));

    [Property(MaxTest = 5000, Arbitrary = [typeof(Places)])]
    public Property Two_different_places_never_share_a_name(PlacePair pair) =>
        (pair.A == pair.B || !string.Equals(NameOf(pair.A), NameOf(pair.B), StringComparison.Ordinal)).Label($"{NameOf(pair.A)} / {NameOf(pair.B)}");

    [Property(MaxTest = 1000, Arbitrary = [typeof(Places)])]
    public Property Only_the_user_string_can_hold_a_cluster_hash_tag(StoredPlace place)
    {
        // Redis Cluster hashes the first {...} of a key: with none before the user string, the stream's slot is fixed and a
        // key's slot is chosen by the user's own string alone, so data keys spread unless their keys share a hash tag.
        var name = NameOf(place);
        var fixedPart = name[..^place.User.Length];
        return (fixedPart.IndexOfAny(['{', '}']) < 0).Label(name);
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("")]
    [InlineData("a{b}")]
    [InlineData("a b")]
    [InlineData("caché")]
    public void A_cache_name_outside_the_safe_alphabet_is_refused(string name)
    {
        var caching = new ServiceCollection().AddCaching();
        Assert.ThrowsAny<ArgumentException>(() => caching.AddCache<string, string>(name));
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("a{b}")]
    [InlineData("")]
    public void An_application_name_outside_the_safe_alphabet_fails_at_start(string name)
    {
        var services = new ServiceCollection();
        services.AddCaching(c => c.Configure(o => o.ApplicationName = name));
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CachingOptions>>().Value);
        Assert.Contains("ApplicationName", error.Message, StringComparison.Ordinal);
    }

    private static string NameOf(StoredPlace place) => place.Kind switch
    {
        StoredKind.Data => CacheKeyLayout.DataPrefix(place.Application, place.Cache) + place.User,
        StoredKind.Tag => CacheKeyLayout.TagPrefix(place.Application, place.Cache) + place.User,
        StoredKind.Lock => CacheKeyLayout.LockPrefix(place.Application, place.Cache) + place.User,
        StoredKind.Clear => CacheKeyLayout.ClearMarker(place.Application, place.Cache),
        _ => CacheKeyLayout.WriteBackStream(place.Application, place.Cache),
    };

    /// <summary>The layout read backwards, written independently of it: a left inverse, so the layout is injective.</summary>
    private static StoredPlace? Parse(string name)
    {
        var first = name.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : name.IndexOf(':', first + 1);
        if (second < 0)
        {
            return null;
        }

        var application = name[..first];
        var cache = name[(first + 1)..second];
        var rest = name[(second + 1)..];
        foreach (var (marker, kind) in new[] { ("data:", StoredKind.Data), ("tag:", StoredKind.Tag), ("lock:", StoredKind.Lock) })
        {
            if (rest.StartsWith(marker, StringComparison.Ordinal))
            {
                return new StoredPlace(application, cache, kind, rest[marker.Length..]);
            }
        }

        return rest switch
        {
            "writeback" => new StoredPlace(application, cache, StoredKind.WriteBack, ""),
            "clear" => new StoredPlace(application, cache, StoredKind.Clear, ""),
            _ => null,
        };
    }

    /// <summary>
    /// Names from a tiny alphabet and user strings built from the layout's own separators and markers, so that near
    /// collisions are common; and arbitrary strings (unicode, control characters, braces) besides.
    /// </summary>
    public static class Places
    {
        private static readonly string[] Fragments =
            ["", ":", "a", "b", "a:b", "data", "data:", "tag:", "lock:", "writeback", ":writeback", "clear", ":clear", "{", "}", "{a}", "é", "\u0000", "😀", " "];

        public static Arbitrary<StoredPlace> Generate() => Arb.From(Place());

        /// <summary>
        /// Mostly pairs an attacker would try: the same application and cache, another kind, and a user string made from
        /// the first one's by adding or dropping a kind marker or a few characters (what made "tag:sale" a tag marker in
        /// layout 1); sometimes two independent places.
        /// </summary>
        public static Arbitrary<PlacePair> GeneratePairs()
        {
            var kind = Gen.Elements(StoredKind.Data, StoredKind.Tag, StoredKind.Lock, StoredKind.WriteBack, StoredKind.Clear);
            var marker = Gen.Elements("", "data:", "tag:", "lock:", "writeback", "clear", ":", "a:");
            var adversarial =
                from a in Place()
                from k in kind
                from m in marker
                from drop in Gen.Choose(0, 6)
                from grow in Gen.Elements(true, false)
                let user = grow ? m + a.User : a.User[Math.Min(drop, a.User.Length)..]
                select new PlacePair(a, new StoredPlace(a.Application, a.Cache, k, k is StoredKind.WriteBack or StoredKind.Clear ? "" : user));
            var independent = from a in Place() from b in Place() select new PlacePair(a, b);
            return Arb.From(Gen.Frequency((4, adversarial), (1, independent)));
        }

        private static Gen<StoredPlace> Place()
        {
            var validName = Gen.Choose(1, 3).SelectMany(length => Gen.Elements('a', 'b', '.', '-', '_').ArrayOf(length)).Select(chars => new string(chars));
            var crafted = Gen.Choose(0, 4).SelectMany(count => Gen.Elements(Fragments).ArrayOf(count)).Select(string.Concat);
            var anyString = ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "");
            var user = Gen.Frequency((3, crafted), (1, anyString));
            var kind = Gen.Elements(StoredKind.Data, StoredKind.Tag, StoredKind.Lock, StoredKind.WriteBack, StoredKind.Clear);
            var place =
                from application in validName
                from cache in validName
                from k in kind
                from u in user
                select new StoredPlace(application, cache, k, k is StoredKind.WriteBack or StoredKind.Clear ? "" : u);
            return place;
        }
    }
}
