using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs.Tests;

public sealed class ConfigurationTests
{
    private static IHost Build(Action<CqrsBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        var store = new InMemoryStore();
        builder.Services.AddSingleton<IEventSource>(new InMemoryEventSource());
        builder.Services.AddSingleton<IProjectionStore>(store);
        builder.Services.AddSingleton<IProjectionLeases>(store);
        builder.Services.AddCqrs(configure);
        return builder.Build();
    }

    [Fact]
    public async Task Two_projections_with_one_name_fail_at_start_up_naming_both()
    {
        using var host = Build(cqrs => cqrs.AddProjection(new ItemsProjection("orders")).AddProjection(new OtherItemsProjection("orders")));
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(() => host.StartAsync());
        Assert.Contains("both have the name 'orders'", error.Message, StringComparison.Ordinal);
        Assert.Contains("unique Name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_with_no_event_types_fails_at_start_up()
    {
        using var host = Build(cqrs => cqrs.AddProjection(new OtherItemsProjection("empty", [])));
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(() => host.StartAsync());
        Assert.Contains("'empty'", error.Message, StringComparison.Ordinal);
        Assert.Contains("handles no event types", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_name_that_cannot_name_a_table_fails_at_start_up()
    {
        using var host = Build(cqrs => cqrs.AddProjection(new ItemsProjection("Bad Name")));
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(() => host.StartAsync());
        Assert.Contains("lower-case letters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_the_store_cannot_run_fails_at_start_up()
    {
        using var host = Build(cqrs => cqrs.AddProjection(new NotInMemoryProjection()));
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(() => host.StartAsync());
        Assert.Contains("IProjection<InMemoryContext>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_runner_options_fail_at_start_up_naming_the_setting()
    {
        using var host = Build(cqrs => cqrs.AddProjection(new ItemsProjection()).ConfigureRunner(o => o.BatchSize = 0));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ProjectionRunnerOptions.BatchSize", error.Message, StringComparison.Ordinal);
    }

    private sealed class OtherItemsProjection(string name, string[]? types = null) : IProjection<InMemoryContext>
    {
        public string Name { get; } = name;

        public IReadOnlyCollection<string> EventTypes { get; } = types ?? ["item"];

        public ValueTask InitializeAsync(InMemoryContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask ApplyAsync(IReadOnlyList<EventEnvelope> events, InMemoryContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NotInMemoryProjection : IProjection
    {
        public string Name => "plain";

        public IReadOnlyCollection<string> EventTypes { get; } = ["item"];
    }
}
