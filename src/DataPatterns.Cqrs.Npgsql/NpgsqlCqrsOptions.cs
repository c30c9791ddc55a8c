namespace DataPatterns.Cqrs.Npgsql;

/// <summary>Where the outbox, the read models and their bookkeeping live in PostgreSQL.</summary>
public sealed class NpgsqlCqrsOptions
{
    /// <summary>The database of the write model and its outbox (the event source). Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The database of the read models, checkpoints, leases and dead letters. Default: <see cref="ConnectionString"/>.
    /// Checkpoints live beside the read models so both commit in one transaction.
    /// </summary>
    public string? ReadModelConnectionString { get; set; }

    /// <summary>
    /// The schema of the outbox and bookkeeping tables. Default "cqrs". A plain identifier (lower-case ASCII letters, digits,
    /// underscores, starting with a letter; checked at start-up), written into SQL quoted.
    /// </summary>
    public string Schema { get; set; } = "cqrs";

    /// <summary>The LISTEN/NOTIFY channel writers notify on commit. Default "datapatterns_cqrs". A plain identifier like <see cref="Schema"/>, written into SQL quoted.</summary>
    public string NotificationChannel { get; set; } = "datapatterns_cqrs";

    /// <summary>Keep a rebuilt projection's previous generation (schema <c>name_gN</c>) after the switch instead of dropping it. Default false.</summary>
    public bool KeepRetiredGenerations { get; set; }
}
