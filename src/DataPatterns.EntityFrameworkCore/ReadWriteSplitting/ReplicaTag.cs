namespace DataPatterns.EntityFrameworkCore.ReadWriteSplitting;

/// <summary>The query tag behind <c>ReadFromReplica()</c>, and how a command is recognised as carrying it.</summary>
internal static class ReplicaTag
{
    public const string Text = "DataPatterns: read from replica";

    /// <summary>EF Core writes tags as leading <c>-- </c> comment lines, so a command without one is rejected at its first characters.</summary>
    public static bool IsOn(string? commandText) =>
        commandText is not null
        && commandText.StartsWith("-- ", StringComparison.Ordinal)
        && commandText.Contains(Text, StringComparison.Ordinal);
}
