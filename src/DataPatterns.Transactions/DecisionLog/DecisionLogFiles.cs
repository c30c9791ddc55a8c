namespace DataPatterns.Transactions;

/// <summary>
/// How the file decision log opens and creates files. Every file it creates is readable and writable by its owner only
/// (0600 on Unix): the log names every in-doubt transaction and anyone who can write it can make recovery commit or roll
/// back. Files it writes beside the log are created new (O_CREAT|O_EXCL), so a link planted at that name is never followed.
/// </summary>
internal static class DecisionLogFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens (or creates, owner-only) <paramref name="path"/> for this process alone.</summary>
    public static FileStream OpenExclusive(string path)
    {
        try
        {
            return new FileStream(path, Options(FileMode.OpenOrCreate, FileAccess.ReadWrite));
        }
        catch (IOException ex)
        {
            throw new IOException($"The decision log '{path}' could not be opened: {ex.Message} Only one coordinator process may use a decision log file (another one, or a second instance of this application, has it open); give each node its own path and its own TwoPhaseCommitOptions.NodeId.", ex);
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> new, owner-only, readable and locked like <see cref="OpenExclusive"/>, after deleting
    /// what is there (a stale file of an earlier run, or a link someone planted: deleting a link removes the link, never its
    /// target). A replacement for the log is renamed over it while still open, so the lock moves with the file and no
    /// other process finds the new log unlocked.
    /// </summary>
    public static FileStream CreateNewExclusive(string path)
    {
        File.Delete(path);
        return new FileStream(path, Options(FileMode.CreateNew, FileAccess.ReadWrite));
    }

    /// <summary>Creates <paramref name="path"/> new and owner-only; fails when anything is there already.</summary>
    public static FileStream CreateNewOnly(string path) => new(path, Options(FileMode.CreateNew, FileAccess.Write));

    private static FileStreamOptions Options(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return options;
    }
}
