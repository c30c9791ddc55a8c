using BenchmarkDotNet.Running;

// Each benchmark class sits in the folder of its pattern (Sharding/, Caching/, ...); --filter picks them.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
