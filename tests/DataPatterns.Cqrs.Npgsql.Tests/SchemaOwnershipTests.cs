using DataPatterns.Cqrs.TestHost;
using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Cqrs.Npgsql.Tests;

/// <summary>The read-model store drops and rewrites only the schemas and views it created and recorded as its own.</summary>
public sealed class SchemaOwnershipTests
{
    [Fact]
    public async Task A_projection_named_like_an_existing_schema_is_refused_and_the_schemas_table_and_view_survive()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_views");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await ExecuteAsync(dataSource, "CREATE SCHEMA shop; CREATE TABLE shop.orders (id int); INSERT INTO shop.orders VALUES (1), (2); CREATE VIEW shop.accounts AS SELECT 1 AS id");
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var token = await TokenAsync(store, "shop");

        var error = await Assert.ThrowsAsync<SchemaNotOwnedException>(() => store.OpenAsync(new AccountsProjection("shop"), token, CancellationToken.None).AsTask());

        Assert.Equal("shop", error.SchemaName);
        Assert.Contains("'shop' already exists and was not created by the read-model store", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rename the projection", error.Message, StringComparison.Ordinal);
        Assert.Equal(2L, await ScalarAsync(dataSource, "SELECT count(*) FROM shop.orders"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM shop.accounts"));
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM pg_namespace WHERE nspname = 'shop_g1'"));
    }

    [Fact]
    public async Task A_rebuild_refuses_to_replace_a_generation_schema_it_did_not_create_and_that_schemas_table_survives()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_generation");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var projection = new AccountsProjection("stats");
        var token = await TokenAsync(store, "stats");
        await store.OpenAsync(projection, token, CancellationToken.None);
        await ExecuteAsync(dataSource, "CREATE SCHEMA stats_g2; CREATE TABLE stats_g2.keep (id int); INSERT INTO stats_g2.keep VALUES (7)");

        Assert.Equal(2, await store.RequestRebuildAsync("stats", CancellationToken.None));
        var error = await Assert.ThrowsAsync<SchemaNotOwnedException>(() => store.OpenAsync(projection, token, CancellationToken.None).AsTask());

        Assert.Equal("stats_g2", error.SchemaName);
        Assert.Contains("'stats_g2'", error.Message, StringComparison.Ordinal);
        Assert.Equal(7L, await ScalarAsync(dataSource, "SELECT id::bigint FROM stats_g2.keep"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM information_schema.view_table_usage WHERE view_schema = 'stats' AND table_schema = 'stats_g1'"));
    }

    [Theory]
    [InlineData("public")]
    [InlineData("cqrs")]
    [InlineData("pg_temp_x")]
    [InlineData("x\"; DROP TABLE keep; --")]
    [InlineData("Accounts")]
    public async Task A_projection_name_that_cannot_be_its_own_schema_is_refused_naming_it_and_nothing_is_dropped(string name)
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_names");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await ExecuteAsync(dataSource, "CREATE TABLE public.keep (id int); INSERT INTO public.keep VALUES (1); CREATE VIEW public.accounts AS SELECT 1 AS id");
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var projection = new AccountsProjection(name);

        Assert.False(store.CanRun(projection, out var reason));
        var error = await Assert.ThrowsAsync<ProjectionConfigurationException>(() => store.OpenAsync(projection, 1, CancellationToken.None).AsTask());

        Assert.Contains($"'{name}'", reason, StringComparison.Ordinal);
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM public.keep"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM public.accounts"));
    }

    [Fact]
    public async Task A_switch_drops_only_the_views_and_generation_the_store_created_and_keeps_a_users_view_beside_them()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_switch");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var projection = new AccountsProjection("ledger");
        var token = await TokenAsync(store, "ledger");
        await store.OpenAsync(projection, token, CancellationToken.None);
        await ExecuteAsync(dataSource, "CREATE VIEW ledger.mine AS SELECT 42 AS answer");

        await RebuildAndSwitchAsync(store, projection, token);

        Assert.Equal(42L, await ScalarAsync(dataSource, "SELECT answer::bigint FROM ledger.mine"));
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM pg_namespace WHERE nspname = 'ledger_g1'"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM information_schema.view_table_usage WHERE view_schema = 'ledger' AND view_name = 'accounts' AND table_schema = 'ledger_g2'"));
        Assert.Equal(
            ["ledger/", "ledger/accounts", "ledger_g2/"],
            await NamesAsync(dataSource, "SELECT schema_name || '/' || object_name FROM cqrs.owned_objects ORDER BY 1"));
    }

    [Fact]
    public async Task A_switch_refuses_to_cascade_into_a_users_view_over_the_retired_generation_and_keeps_serving_the_old_one()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_cascade");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var store = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var projection = new AccountsProjection("books");
        var token = await TokenAsync(store, "books");
        await store.OpenAsync(projection, token, CancellationToken.None);
        await ExecuteAsync(dataSource, "CREATE VIEW public.report AS SELECT count(*) AS n FROM books_g1.accounts");

        var error = await Assert.ThrowsAsync<SchemaNotOwnedException>(() => RebuildAndSwitchAsync(store, projection, token));

        Assert.Contains("public.report (view)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT n FROM public.report"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT live_generation::bigint FROM cqrs.projections WHERE name = 'books'"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM information_schema.view_table_usage WHERE view_schema = 'books' AND table_schema = 'books_g1'"));
    }

    [Fact]
    public async Task A_database_from_before_the_ownership_record_adopts_only_what_the_store_made_and_rebuilds_as_before()
    {
        await using var database = await TemporaryDatabase.CreateAsync(TestServers.Primary, "cqrs_owned_legacy");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var projection = new AccountsProjection("legacy");
        var first = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        var token = await TokenAsync(first, "legacy");
        await first.OpenAsync(projection, token, CancellationToken.None);
        // A database written before the record existed: the store's objects are there, the record is not.
        await ExecuteAsync(dataSource, "DROP TABLE cqrs.owned_objects; CREATE VIEW legacy.mine AS SELECT 1 AS one; CREATE SCHEMA legacy_g7; CREATE TABLE legacy_g7.keep (id int)");

        var upgraded = new NpgsqlProjectionStore(dataSource, new NpgsqlCqrsOptions());
        await upgraded.OpenAsync(projection, token, CancellationToken.None);
        await RebuildAndSwitchAsync(upgraded, projection, token);

        Assert.Equal(
            ["legacy/", "legacy/accounts", "legacy_g2/"],
            await NamesAsync(dataSource, "SELECT schema_name || '/' || object_name FROM cqrs.owned_objects ORDER BY 1"));
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM pg_namespace WHERE nspname = 'legacy_g1'"));
        Assert.Equal(1L, await ScalarAsync(dataSource, "SELECT count(*) FROM legacy.mine"));
        Assert.Equal(0L, await ScalarAsync(dataSource, "SELECT count(*) FROM legacy_g7.keep"));
    }

    [Theory]
    [InlineData("cqrs; DROP TABLE keep", "datapatterns_cqrs", "NpgsqlCqrsOptions.Schema 'cqrs; DROP TABLE keep'")]
    [InlineData("cqrs", "Wake Up", "NpgsqlCqrsOptions.NotificationChannel 'Wake Up'")]
    public void Schema_and_channel_names_that_are_not_plain_identifiers_are_refused_naming_the_setting(string schema, string channel, string expected)
    {
        using var dataSource = NpgsqlDataSource.Create("Host=localhost");
        var options = new NpgsqlCqrsOptions { ConnectionString = "Host=localhost", Schema = schema, NotificationChannel = channel };

        var errors = new[]
        {
            Assert.Throws<ArgumentException>(() => new NpgsqlOutbox(dataSource, options)).Message,
            Assert.Throws<ArgumentException>(() => new NpgsqlEventSource(dataSource, options)).Message,
            Assert.Throws<ArgumentException>(() => new NpgsqlProjectionStore(dataSource, options)).Message,
            string.Join(" ", new NpgsqlCqrsOptionsValidator().Validate(null, options).Failures ?? []),
        };

        Assert.All(errors, message => Assert.Contains(expected, message, StringComparison.Ordinal));
        Assert.All(errors, message => Assert.Contains("lower-case ASCII letters, digits and underscores", message, StringComparison.Ordinal));
    }

    private static async Task RebuildAndSwitchAsync(NpgsqlProjectionStore store, AccountsProjection projection, long token)
    {
        var generation = await store.RequestRebuildAsync(projection.Name, CancellationToken.None);
        await store.OpenAsync(projection, token, CancellationToken.None);
        await store.SwitchToAsync(projection, generation, token, CancellationToken.None);
    }

    private static async Task<long> TokenAsync(NpgsqlProjectionStore store, string name) =>
        await store.TryAcquireAsync(name, "ownership-test", TimeSpan.FromMinutes(5), CancellationToken.None) ?? throw new InvalidOperationException("no lease");

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> NamesAsync(NpgsqlDataSource dataSource, string sql)
    {
        var names = new List<string>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
