using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPatterns.Routing.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public void No_nodes_is_a_start_up_error_that_says_how_to_add_them()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", new ReadWriteRouterOptions { Probe = new FakeProbe() }));
        Assert.Contains("ReadWriteSplitting 'orders': Nodes is empty; add the primary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_poll_interval_that_is_not_positive_is_a_start_up_error_that_names_the_default()
    {
        var options = new ReadWriteRouterOptions { Probe = new FakeProbe(), ReadYourWritesPollInterval = TimeSpan.Zero }
            .AddNode("a", FakeNode.Primary("a"));
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", options));
        Assert.Contains("ReadYourWritesPollInterval is 00:00:00; use a positive time (default 2 ms)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_node_names_are_a_start_up_error()
    {
        var options = new ReadWriteRouterOptions { Probe = new FakeProbe() }
            .AddNode("a", FakeNode.Primary("a"))
            .AddNode("A", FakeNode.Replica("b"));
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", options));
        Assert.Contains("node name 'A' appears more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_with_no_possible_primary_is_a_start_up_error()
    {
        var options = new ReadWriteRouterOptions { Probe = new FakeProbe() }
            .AddNode("a", FakeNode.Replica("a"), NodeRole.Replica)
            .AddNode("b", FakeNode.Replica("b"), NodeRole.Replica);
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", options));
        Assert.Contains("no node can take writes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new ReadWriteRouterOptions { ProbeInterval = TimeSpan.Zero, MaxReplicaLag = TimeSpan.FromSeconds(-1) };
        options.Nodes.Add(new RoutingNodeOptions { Name = "", Weight = 0 });
        options.AddNode("x", "Host=x");
        var failures = ReadWriteRouterOptionsValidator.Collect("orders", options);
        Assert.Contains(failures, f => f.Contains("Probe is not set; call UseNpgsql()", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Nodes[0] has no Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Nodes[0] has neither ConnectionString nor DataSource", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Weight 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("node 'x' is given by connection string but ProviderFactory is not set", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ProbeInterval is 00:00:00; use a positive time", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("MaxReplicaLag", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidateOnStart_reports_a_named_router_at_host_start()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting("orders", options => options.Probe = new FakeProbe());
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ReadWriteSplitting 'orders': Nodes is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Named_routers_and_their_scoped_sessions_resolve_from_DI()
    {
        var services = new ServiceCollection();
        services.AddReadWriteSplitting(o => o.AddNode("p", FakeNode.Primary("p")).Probe = new FakeProbe());
        services.AddReadWriteSplitting("orders", o => o.AddNode("op", FakeNode.Primary("op")).AddNode("or", FakeNode.Replica("or")))
            .Configure(o => o.Probe = new FakeProbe());
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var orders = provider.GetRequiredKeyedService<ReadWriteRouter>("orders");
        Assert.Equal("orders", orders.Name);
        Assert.Equal("", provider.GetRequiredService<ReadWriteRouter>().Name);
        await using var scope = provider.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredKeyedService<RoutingSession>("orders");
        Assert.Same(session, scope.ServiceProvider.GetRequiredKeyedService<RoutingSession>("orders"));
        Assert.Same(orders, session.Router);
        Assert.Same(provider.GetRequiredService<ReadWriteRouter>(), scope.ServiceProvider.GetRequiredService<RoutingSession>().Router);
        await using var read = await session.OpenReadConnectionAsync();
        Assert.Equal("or", ((FakeConnection)read).Node.Name);
    }

    [Fact]
    public void Overload_settings_out_of_range_are_start_up_errors_that_name_the_setting()
    {
        var options = new ReadWriteRouterOptions { Probe = new FakeProbe(), MaxEjectionPercent = 101, PanicThresholdPercent = -1, OverloadRetryAfter = TimeSpan.FromSeconds(-1) }
            .AddNode("a", FakeNode.Primary("a"));
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", options));
        Assert.Contains("MaxEjectionPercent is 101; use a percentage from 0 to 100", error.Message, StringComparison.Ordinal);
        Assert.Contains("PanicThresholdPercent is -1; use a percentage from 0 (panic mode off) to 100", error.Message, StringComparison.Ordinal);
        Assert.Contains("OverloadRetryAfter is -00:00:01; use zero or a positive time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_enabled_adaptive_limit_with_inverted_bounds_is_a_start_up_error()
    {
        var options = new ReadWriteRouterOptions
        {
            Probe = new FakeProbe(),
            AdaptiveConcurrency = new AdaptiveConcurrencyOptions { Enabled = true, MinLimit = 10, InitialLimit = 5, MaxLimit = 8, MaxQueue = -1 },
        }.AddNode("a", FakeNode.Primary("a"));
        var error = Assert.Throws<OptionsValidationException>(() => new ReadWriteRouter("orders", options));
        Assert.Contains("AdaptiveConcurrency limits are Min 10, Initial 5, Max 8; use 1 <= MinLimit <= InitialLimit <= MaxLimit", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxQueue -1", error.Message, StringComparison.Ordinal);
    }
}
