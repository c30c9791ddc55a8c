using DataPatterns.Sharding.TestHost;
using DataPatterns.Testing;

namespace DataPatterns.Sharding.Tests;

public sealed class CrossProcessStabilityTests
{
    [Fact]
    public async Task A_separate_process_resolves_ten_thousand_keys_of_each_type_to_the_same_shards()
    {
        var file = Path.GetTempFileName();
        try
        {
            await using var child = ChildProcess.StartDotnet("DataPatterns.Sharding.TestHost.dll", [file]);
            Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromMinutes(2)));

            var theirs = await File.ReadAllLinesAsync(file);
            var ours = SampleKeys.Strategies.SelectMany(SampleKeys.Resolve).ToArray();

            Assert.Equal(SampleKeys.Strategies.Count() * 5 * SampleKeys.Count, ours.Length);
            Assert.Equal(ours.Length, theirs.Length);
            var differences = ours.Zip(theirs).Where(pair => pair.First != pair.Second).Take(5).ToList();
            Assert.True(differences.Count == 0, "Resolutions differ between processes: " + string.Join("; ", differences));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
