using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Benchmarks.Cqrs;

/// <summary>
/// The cost of dispatch: calling the handler directly (baseline) vs <see cref="IDispatcher.SendAsync{TCommand, TResult}"/>,
/// which resolves the closed generic handler from the scope (no reflection). The handler completes synchronously.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.HostProcess, launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class DispatcherBenchmarks
{
    private readonly Deposit _command = new("acct-1", 5);
    private ServiceProvider _provider = null!;
    private IServiceScope _scope = null!;
    private IDispatcher _dispatcher = null!;
    private ICommandHandler<Deposit, long> _handler = null!;

    [GlobalSetup]
    public void Setup()
    {
        _provider = new ServiceCollection()
            .AddCqrs(cqrs => cqrs.AddCommandHandler<Deposit, long, DepositHandler>())
            .Services.BuildServiceProvider();
        _scope = _provider.CreateScope();
        _dispatcher = _scope.ServiceProvider.GetRequiredService<IDispatcher>();
        _handler = _scope.ServiceProvider.GetRequiredService<ICommandHandler<Deposit, long>>();
    }

    [Benchmark(Baseline = true, Description = "handler called directly")]
    public ValueTask<long> Direct() => _handler.HandleAsync(_command, CancellationToken.None);

    [Benchmark(Description = "IDispatcher.SendAsync")]
    public ValueTask<long> Dispatched() => _dispatcher.SendAsync<Deposit, long>(_command);

    [GlobalCleanup]
    public void Cleanup()
    {
        _scope.Dispose();
        _provider.Dispose();
    }

    public sealed record Deposit(string Account, long Amount);

    public sealed class DepositHandler : ICommandHandler<Deposit, long>
    {
        private long _total;

        public ValueTask<long> HandleAsync(Deposit command, CancellationToken cancellationToken) => ValueTask.FromResult(_total += command.Amount);
    }
}
