namespace DataPatterns.Caching;

/// <summary>Settings shared by every cache of the application.</summary>
public sealed class CachingOptions
{
    /// <summary>
    /// The application's name: the first part of every distributed key, lock, queue and backplane channel, so applications
    /// sharing one Redis never see each other's entries. Letters, digits, '.', '-' and '_'. Default "datapatterns", the
    /// same for every application: with a shared store set it, or a warning is logged at start.
    /// </summary>
    public string ApplicationName { get; set; } = DefaultApplicationName;

    internal const string DefaultApplicationName = "datapatterns";
}
