using Microsoft.Extensions.Options;

namespace DataPatterns.Cqrs.Npgsql;

/// <summary>Checks <see cref="NpgsqlCqrsOptions"/> at start-up.</summary>
internal sealed class NpgsqlCqrsOptionsValidator : IValidateOptions<NpgsqlCqrsOptions>
{
    public ValidateOptionsResult Validate(string? name, NpgsqlCqrsOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("NpgsqlCqrsOptions.ConnectionString is not set; set it to the write model's database in UseNpgsql(o => o.ConnectionString = ...).");
        }

        foreach (var problem in new[] { SqlNames.Problem("NpgsqlCqrsOptions.Schema", options.Schema), SqlNames.Problem("NpgsqlCqrsOptions.NotificationChannel", options.NotificationChannel) })
        {
            if (problem is not null)
            {
                failures.Add(problem);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
