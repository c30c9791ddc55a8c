namespace DataPatterns.Samples.Shop.Validation;

/// <summary>The errors found in one request, by field; answered as one 400 validation problem that lists them all.</summary>
internal sealed class RequestErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>True when the request has no error.</summary>
    public bool IsEmpty => _errors.Count == 0;

    /// <summary>Records that <paramref name="field"/> is wrong; <paramref name="fix"/> says what it must be.</summary>
    public void Add(string field, string fix)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(fix);
    }

    /// <summary>The 400 answer: a Problem Details body whose <c>errors</c> name each field and its fix.</summary>
    public IResult ToResult() => Results.ValidationProblem(
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal),
        detail: "Some fields are not valid; each one is listed in errors with what it must be. Fix them and send the request again.",
        title: "The request is not valid.",
        extensions: new Dictionary<string, object?> { ["code"] = "invalid-request" });
}
