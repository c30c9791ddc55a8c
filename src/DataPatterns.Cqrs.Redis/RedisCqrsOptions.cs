namespace DataPatterns.Cqrs.Redis;

/// <summary>Where Redis read models live.</summary>
public sealed class RedisCqrsOptions
{
    /// <summary>A StackExchange.Redis configuration string (e.g. <c>localhost:6379</c>). Required unless an <c>IConnectionMultiplexer</c> is registered.</summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// The prefix of every key. Letters, digits, '.', '-', '_' and ':', ending with ':' (or empty). Default "cqrs:".
    /// </summary>
    public string KeyPrefix { get; set; } = "cqrs:";
}

/// <summary>
/// The rules a key prefix keeps so that each projection's keys stay its own: a retired generation is deleted by a SCAN
/// pattern (<c>{prefix + projection}:gN:*</c>), so glob characters in the prefix would widen it to other keys; a
/// projection's keys share one hash slot through the braces around <c>prefix + projection</c>, so braces in the prefix
/// would move them apart (CROSSSLOT on a cluster); and with a trailing ':' no (prefix, projection) pair can spell
/// another's (projection names hold no ':').
/// </summary>
internal static class RedisKeyPrefix
{
    public static string? Problem(string? prefix)
    {
        if (prefix is null)
        {
            return "is null; leave the default \"cqrs:\" or set a prefix such as \"orders:cqrs:\".";
        }

        if (!prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':'))
        {
            return $"'{prefix}' may hold only letters, digits, '.', '-', '_' and ':': glob characters (* ? [ ] \\) would widen the pattern that deletes a retired generation to keys outside the prefix, and braces would split a projection's hash slot. Use e.g. \"orders:cqrs:\".";
        }

        return prefix.Length > 0 && !prefix.EndsWith(':')
            ? $"'{prefix}' must end with ':' (or be empty), so that no other prefix and projection name spell the same keys; use \"{prefix}:\"."
            : null;
    }

    /// <summary>The prefix, or an <see cref="ArgumentException"/> saying what is wrong with it.</summary>
    public static string Checked(string? prefix, string parameterName) =>
        Problem(prefix) is { } problem ? throw new ArgumentException("The key prefix " + problem, parameterName) : prefix!;
}
