using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace DataPatterns.Diagnostics;

/// <summary>
/// One metrics object per <see cref="IMeterFactory"/> (in practice one per DI container), shared as source like the
/// back-off. A factory hands out the same <see cref="Meter"/> for the same name, so a second set of instruments on it
/// would report every measurement twice; objects built by hand without a factory make a meter of their own instead.
/// </summary>
/// <typeparam name="TMetrics">The package's metrics class.</typeparam>
internal static class PerMeterFactory<TMetrics>
    where TMetrics : class
{
    // Weak keys: a disposed container's factory, and the metrics made from it, are not kept alive by this table.
    private static readonly ConditionalWeakTable<IMeterFactory, TMetrics> Instances = new();

    public static TMetrics Get(IMeterFactory meterFactory, Func<IMeterFactory, TMetrics> create) =>
        Instances.GetValue(meterFactory, factory => create(factory));
}
