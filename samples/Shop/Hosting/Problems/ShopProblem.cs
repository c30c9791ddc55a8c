namespace DataPatterns.Samples.Shop.Hosting.Problems;

/// <summary>How bad a failure is for the people running the Shop, which decides how it is logged.</summary>
internal enum ProblemSeverity
{
    /// <summary>The client sent something wrong: nothing to see on our side (logged at Debug, without the exception).</summary>
    ClientError,

    /// <summary>The Shop or a server behind it is busy or briefly away; the client may try again (Warning).</summary>
    Transient,

    /// <summary>A fault on our side: a person should look (Error, with the exception).</summary>
    ServerFault,
}

/// <summary>
/// What the client is told about a failure: a status, a title and a detail written for the client (never an exception's
/// own message, which may name tables, hosts or code), a machine-readable code, and when to try again.
/// </summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">A stable, machine-readable name of the problem (the <c>code</c> member of the body).</param>
/// <param name="Title">A short summary that is the same for every occurrence of the problem.</param>
/// <param name="Detail">This occurrence: what happened and what the client can do.</param>
/// <param name="Severity">How it is logged.</param>
internal sealed record ShopProblem(int Status, string Code, string Title, string Detail, ProblemSeverity Severity)
{
    /// <summary>Sent as the <c>Retry-After</c> header: set only when trying the same request again later is safe and useful.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Field-by-field errors (a validation problem); the keys name the field, the values say the fix.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>Extra members of the body (an order id the client needs to follow up, say).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    /// <summary>The Retry-After header's value: whole seconds, at least one.</summary>
    public string? RetryAfterHeader => RetryAfter is { } after
        ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : null;
}
