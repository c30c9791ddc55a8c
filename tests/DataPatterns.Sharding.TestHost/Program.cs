using DataPatterns.Sharding.TestHost;

// Writes every resolution to the file named by the parent test, which compares them with its own.
await using (var output = new StreamWriter(args[0]))
{
    foreach (var strategy in SampleKeys.Strategies)
    {
        foreach (var line in SampleKeys.Resolve(strategy))
        {
            await output.WriteLineAsync(line);
        }
    }
}

Console.WriteLine("DONE");
