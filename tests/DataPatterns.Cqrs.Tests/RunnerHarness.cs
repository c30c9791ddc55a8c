using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Cqrs.Tests;

/// <summary>The runner on in-memory fakes with a fake clock (back-off of zero so retries need no clock).</summary>
internal sealed class RunnerHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly List<IHostedService> _hosted;

    public RunnerHarness(IProjection projection, Action<ProjectionRunnerOptions>? configure = null, InMemoryStore? store = null, string instanceId = "test-instance", Action<IServiceCollection>? extra = null)
    {
        Store = store ?? new InMemoryStore();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IEventSource>(Source);
        services.AddSingleton<IProjectionStore>(Store);
        services.AddSingleton<IProjectionLeases>(Store);
        services.AddSingleton<IDeadLetterStore>(Store);
        services.AddCqrs(cqrs => cqrs.AddProjection(projection).ConfigureRunner(o =>
        {
            o.BatchSize = 10;
            o.MaxAttempts = 3;
            o.RetryDelay = TimeSpan.Zero;
            o.MaxRetryDelay = TimeSpan.Zero;
            o.InstanceId = instanceId;
            configure?.Invoke(o);
        }));
        extra?.Invoke(services);
        _provider = services.BuildServiceProvider();
        _hosted = [.. _provider.GetServices<IHostedService>()];
        Monitor = _provider.GetRequiredService<IProjectionMonitor>();
    }

    public FakeTimeProvider Time { get; } = new();

    public InMemoryEventSource Source { get; } = new();

    public InMemoryStore Store { get; }

    public IProjectionMonitor Monitor { get; }

    public IServiceProvider Services => _provider;

    public async Task StartAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}
