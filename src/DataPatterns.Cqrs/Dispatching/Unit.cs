namespace DataPatterns.Cqrs;

/// <summary>The result of a command that returns nothing.</summary>
public readonly record struct Unit
{
    /// <summary>The only value.</summary>
    public static Unit Value => default;
}
