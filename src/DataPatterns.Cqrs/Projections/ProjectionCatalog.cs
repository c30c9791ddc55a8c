namespace DataPatterns.Cqrs;

/// <summary>The registered projections, checked once: unique valid names, at least one event type, a store that can run them.</summary>
internal static class ProjectionCatalog
{
    public static void Validate(IReadOnlyList<IProjection> projections, IProjectionStore store)
    {
        var errors = new List<string>();
        var seen = new Dictionary<string, IProjection>(StringComparer.Ordinal);
        foreach (var projection in projections)
        {
            var type = projection.GetType().Name;
            var name = projection.Name;
            if (!IsValidName(name))
            {
                errors.Add($"Projection {type} has the name '{name}'; use 1 to 40 lower-case letters, digits or underscores, starting with a letter.");
                continue;
            }

            if (seen.TryGetValue(name, out var other))
            {
                errors.Add($"Projections {other.GetType().Name} and {type} both have the name '{name}'; give each projection a unique Name.");
            }
            else
            {
                seen.Add(name, projection);
            }

            if (projection.EventTypes is null || projection.EventTypes.Count == 0 || projection.EventTypes.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Projection '{name}' ({type}) handles no event types; list the event type names it applies in EventTypes.");
            }

            if (!store.CanRun(projection, out var reason))
            {
                errors.Add($"Projection '{name}' ({type}): {reason}");
            }
        }

        if (errors.Count > 0)
        {
            throw new ProjectionConfigurationException("The CQRS projections are misconfigured: " + string.Join(" ", errors));
        }
    }

    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 40 && char.IsAsciiLetterLower(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');
}
