namespace DataPatterns.Testing.Tests;

public sealed class ChildProcessTests
{
    [Fact]
    public async Task A_child_killed_at_a_step_does_nothing_after_it()
    {
        var directory = Directory.CreateTempSubdirectory("dp-child-").FullName;
        try
        {
            await using var child = ChildProcess.StartDotnet("DataPatterns.Testing.TestHost.dll", [directory]);
            await child.WaitForLineAsync("STEP 2", TimeSpan.FromSeconds(30));
            await child.KillAsync();

            Assert.True(File.Exists(Path.Combine(directory, "step-2")));
            Assert.False(File.Exists(Path.Combine(directory, "step-3")), "the killed child must not have reached step 3");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Waiting_for_a_line_the_child_never_prints_fails_with_its_transcript()
    {
        var directory = Directory.CreateTempSubdirectory("dp-child-").FullName;
        try
        {
            await using var child = ChildProcess.StartDotnet("DataPatterns.Testing.TestHost.dll", [directory]);
            var error = await Assert.ThrowsAsync<TimeoutException>(() => child.WaitForLineAsync("NEVER", TimeSpan.FromSeconds(3)));
            Assert.Contains("STEP 1", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
