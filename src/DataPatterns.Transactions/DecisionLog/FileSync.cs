using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DataPatterns.Transactions;

/// <summary>
/// Makes a file's written data durable. On Linux <c>fdatasync</c>: it flushes the data and the metadata needed to read it
/// back (the new length of an appended file) but not the modification time, so it never costs more than <c>fsync</c>
/// and often less. Elsewhere the runtime's flush (<c>fsync</c> / <c>FlushFileBuffers</c>).
/// </summary>
internal static partial class FileSync
{
    public static void FlushData(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        if (Fdatasync(handle) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}); the data may not be on disk.");
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle handle);
}
