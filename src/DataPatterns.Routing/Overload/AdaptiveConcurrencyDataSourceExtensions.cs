using System.Data.Common;

namespace DataPatterns.Routing;

/// <summary>Puts any data source behind an adaptive concurrency limit.</summary>
public static class AdaptiveConcurrencyDataSourceExtensions
{
    /// <summary>
    /// Wraps <paramref name="dataSource"/> in an <see cref="AdaptiveConcurrencyDataSource"/> (the limit is on whatever
    /// <paramref name="configure"/> leaves in <see cref="AdaptiveConcurrencyOptions.Enabled"/>: it is set to true first).
    /// The wrapper owns the data source from then on.
    /// </summary>
    /// <param name="dataSource">The data source, for example a shard's <c>NpgsqlDataSource</c>.</param>
    /// <param name="name">The database's name, for errors.</param>
    /// <param name="configure">Adjusts the limit's settings (defaults as <see cref="AdaptiveConcurrencyOptions"/>).</param>
    /// <param name="retryAfter">The retry hint a refused open carries. Default 1 s.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The limited data source.</returns>
    /// <exception cref="ArgumentException">The settings make no sense (the message names the setting).</exception>
    public static AdaptiveConcurrencyDataSource WithAdaptiveConcurrency(this DbDataSource dataSource, string name,
        Action<AdaptiveConcurrencyOptions>? configure = null, TimeSpan? retryAfter = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var options = new AdaptiveConcurrencyOptions { Enabled = true };
        configure?.Invoke(options);
        var failures = new List<string>();
        ReadWriteRouterOptionsValidator.ValidateConcurrency(failures, $"Data source '{name}':", options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(configure));
        }

        var hint = retryAfter ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(hint, TimeSpan.Zero, nameof(retryAfter));
        return new AdaptiveConcurrencyDataSource(dataSource, name, options, hint, timeProvider ?? TimeProvider.System);
    }
}
