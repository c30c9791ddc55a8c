using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using DataPatterns.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DataPatterns.OpenTelemetry.Tests;

/// <summary>One call subscribes OpenTelemetry to every package's Meter and ActivitySource, and to nothing else.</summary>
public sealed class InstrumentationTests
{
    [Fact]
    public void Measurements_of_every_package_meter_are_exported_and_others_are_not()
    {
        var exported = new List<Metric>();
        using (var provider = Sdk.CreateMeterProviderBuilder().AddDataPatternsInstrumentation().AddInMemoryExporter(exported).Build())
        {
            foreach (var name in DataPatternsInstrumentation.Names.Append("Other.Library"))
            {
                using var meter = new Meter(name);
                meter.CreateCounter<long>("probe").Add(1);
                provider.ForceFlush();
            }
        }

        Assert.Equal(DataPatternsInstrumentation.Names.Order(), exported.Select(m => m.MeterName).Distinct().Order());
    }

    [Fact]
    public void Activities_of_every_package_source_are_sampled_and_others_are_not()
    {
        var exported = new List<Activity>();
        using var provider = Sdk.CreateTracerProviderBuilder().AddDataPatternsInstrumentation().AddInMemoryExporter(exported).Build();
        foreach (var name in DataPatternsInstrumentation.Names.Append("Other.Library"))
        {
            using var source = new ActivitySource(name);
            using var activity = source.StartActivity("probe");
        }

        provider.ForceFlush();

        Assert.Equal(DataPatternsInstrumentation.Names.Order(), exported.Select(a => a.Source.Name).Order());
    }

    [Theory]
    [InlineData(typeof(DataPatterns.Caching.CacheOptions))]
    [InlineData(typeof(DataPatterns.Caching.Redis.RedisCachingOptions))]
    [InlineData(typeof(DataPatterns.Caching.Memcached.MemcachedCachingOptions))]
    [InlineData(typeof(DataPatterns.Routing.ReadWriteRouter))]
    [InlineData(typeof(DataPatterns.Sharding.Shard))]
    [InlineData(typeof(DataPatterns.Transactions.TwoPhaseCommitCoordinator))]
    [InlineData(typeof(DataPatterns.Cqrs.ProjectionStatus))]
    [InlineData(typeof(DataPatterns.EntityFrameworkCore.EntityFrameworkCoreTelemetry))]
    [InlineData(typeof(DataPatterns.AspNetCore.AspNetCoreTelemetry))]
    public void Every_meter_name_a_package_declares_is_in_the_list(Type typeInPackage)
    {
        // Each package declares its names as public constants on a *Telemetry or *Metrics type in its Diagnostics folder.
        var declared = typeInPackage.Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("DataPatterns", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name is "Name" or "MeterName" or "ActivitySourceName")
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.StartsWith("DataPatterns.", StringComparison.Ordinal))
            .Distinct()
            .ToList();

        Assert.NotEmpty(declared);
        Assert.All(declared, name => Assert.Contains(name, DataPatternsInstrumentation.Names));
    }

    [Fact]
    public void The_generic_host_registration_takes_the_same_names()
    {
        var services = new ServiceCollection();
        services.AddOpenTelemetry().WithMetrics(m => m.AddDataPatternsInstrumentation()).WithTracing(t => t.AddDataPatternsInstrumentation());
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetService<MeterProvider>());
        Assert.NotNull(provider.GetService<TracerProvider>());
    }
}
