// Writes a file per step and announces the step; the parent kills it at a chosen one.
var directory = args[0];
for (var step = 1; step <= 5; step++)
{
    await File.WriteAllTextAsync(Path.Combine(directory, $"step-{step}"), "done");
    Console.WriteLine($"STEP {step}");
    await Task.Delay(step == 2 ? 60_000 : 10);
}

Console.WriteLine("FINISHED");
