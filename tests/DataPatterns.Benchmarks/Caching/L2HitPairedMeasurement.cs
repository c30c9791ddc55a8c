using System.Diagnostics;
using System.Globalization;

namespace DataPatterns.Benchmarks.Caching;

/// <summary>
/// The L2-hit overhead measured in pairs: the raw StackExchange.Redis read and DataPatterns' read alternate call by call
/// (which one goes first alternates too), so load from other processes on the shared machine hits both alike. BenchmarkDotNet
/// runs one method after the other, and on this machine load drifts between them by more than the overhead measured.
/// Run: <c>dotnet run -c Release --project tests/DataPatterns.Benchmarks -- --paired-l2 [pairs]</c>.
/// </summary>
internal static class L2HitPairedMeasurement
{
    public static async Task RunAsync(int pairs)
    {
        var benchmarks = new L2HitBenchmarks();
        await benchmarks.SetupAsync();
        try
        {
            Console.WriteLine($"L2 hit, {pairs:N0} interleaved pairs per candidate; ratio = candidate / raw StringGetAsync + deserialise");
            await MeasureAsync("DataPatterns GetOrLoadAsync (L2 hit)", benchmarks.RawStringGet, benchmarks.DataPatternsL2Hit, pairs);
            await MeasureAsync("DataPatterns GetOrLoadAsync (L2 hit, the cache's own read timeout of 500 ms)", benchmarks.RawStringGet, benchmarks.DataPatternsL2HitOwnTimeout, pairs);
        }
        finally
        {
            await benchmarks.CleanupAsync();
        }
    }

    private static async Task MeasureAsync<T>(string name, Func<Task<T>> baseline, Func<Task<T>> candidate, int pairs)
    {
        // Warm up for pairs and for time: tiered compilation promotes hot methods only after a delay, and whichever
        // candidate ran first used to pay for it (measured: 1.13-1.14 first against 1.08-1.10 second, whatever the order).
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < 2000 || warmUp.Elapsed < TimeSpan.FromSeconds(5); i++)
        {
            await baseline();
            await candidate();
        }

        var raw = new double[pairs];
        var ours = new double[pairs];
        for (var i = 0; i < pairs; i++)
        {
            if ((i & 1) == 0)
            {
                raw[i] = await TimeAsync(baseline);
                ours[i] = await TimeAsync(candidate);
            }
            else
            {
                ours[i] = await TimeAsync(candidate);
                raw[i] = await TimeAsync(baseline);
            }
        }

        // The ratio of 1%-trimmed means per block of 1,000 pairs; its spread over the blocks gives the error.
        const int Block = 1000;
        var blocks = Enumerable.Range(0, pairs / Block)
            .Select(b => TrimmedMean(ours.AsSpan(b * Block, Block)) / TrimmedMean(raw.AsSpan(b * Block, Block)))
            .ToArray();
        var mean = blocks.Average();
        var sd = Math.Sqrt(blocks.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, blocks.Length - 1));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name}: raw {TrimmedMean(raw):F1} us, candidate {TrimmedMean(ours):F1} us, ratio {mean:F3} +/- {1.96 * sd / Math.Sqrt(blocks.Length):F3} (95 % interval over {blocks.Length} blocks, block sd {sd:F3})"));
    }

    private static async Task<double> TimeAsync<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(started).TotalMicroseconds;
    }

    private static double TrimmedMean(ReadOnlySpan<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var cut = sorted.Length / 100;
        return sorted.AsSpan(cut, sorted.Length - (2 * cut)).ToArray().Average();
    }
}
