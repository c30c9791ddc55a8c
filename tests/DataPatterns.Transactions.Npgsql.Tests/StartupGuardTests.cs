using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// What a coordinator refuses at start on real PostgreSQL: a second live coordinator with its prefix and node id on a
/// database they share, and a decision log row it cannot make sense of.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class StartupGuardTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dp-txguard-").FullName;
    private BankDatabases _bank = null!;

    public async Task InitializeAsync() => _bank = await BankDatabases.CreateAsync("txguard");

    public async Task DisposeAsync()
    {
        await _bank.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_second_live_coordinator_with_the_same_prefix_and_node_id_is_refused_on_a_shared_database()
    {
        // The first keeps its decisions in payments' database, beside a resource: one claim there, not a clash with itself.
        await using var first = Coordinator(_bank.Node, decisionLogTable: "guard_decisions");
        await StartAsync(first);

        // The second has a file log of its own (another host, say): only the participant databases can tell.
        await using var second = Coordinator(_bank.Node, decisionLogTable: null);
        var error = await Assert.ThrowsAsync<CoordinatorNodeInUseException>(() => StartAsync(second));

        Assert.Equal(BankDatabases.Prefix, error.Prefix);
        Assert.Equal(_bank.Node, error.NodeId);
        Assert.Contains(_bank.PaymentsDatabase.Name, error.Location, StringComparison.Ordinal);
        Assert.Contains($"Prefix '{BankDatabases.Prefix}' with NodeId '{_bank.Node}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("held by PostgreSQL backend pid", error.Message, StringComparison.Ordinal);

        // Once the first is gone its replacement may start.
        await first.DisposeAsync();
        await using var replacement = Coordinator(_bank.Node, decisionLogTable: null);
        await StartAsync(replacement);
    }

    [Fact]
    public async Task Coordinators_with_node_ids_of_their_own_share_the_databases()
    {
        await using var first = Coordinator(_bank.Node, decisionLogTable: null);
        await using var second = Coordinator(_bank.Node + "b", decisionLogTable: null);

        await StartAsync(first);
        await StartAsync(second);

        Assert.Equal(2, await CountClaimsAsync());
    }

    [Fact]
    public async Task A_lost_claim_is_taken_again_by_the_next_recovery_pass()
    {
        await using var first = Coordinator(_bank.Node, decisionLogTable: null);
        await first.StartAsync();
        await TerminateClaimSessionsAsync(); // a server restart, say: the sessions end and the locks with them
        Assert.Equal(0, await CountClaimsAsync());

        await first.Coordinator.RecoverAsync(CancellationToken.None);

        Assert.Equal(1, await CountClaimsAsync());
        await using var second = Coordinator(_bank.Node, decisionLogTable: null);
        await Assert.ThrowsAsync<CoordinatorNodeInUseException>(second.StartAsync);
    }

    [Fact]
    public async Task A_recovery_pass_stops_when_another_coordinator_took_the_lost_claim()
    {
        await using var first = Coordinator(_bank.Node, decisionLogTable: null);
        await first.StartAsync();
        await TerminateClaimSessionsAsync();
        await using var second = Coordinator(_bank.Node, decisionLogTable: null);
        await second.StartAsync(); // nothing stopped it: the first's claims were gone

        var error = await Assert.ThrowsAsync<CoordinatorNodeInUseException>(async () => await first.Coordinator.RecoverAsync(CancellationToken.None));

        Assert.Equal(_bank.Node, error.NodeId);
    }

    [Fact]
    public async Task Claims_of_one_coordinator_on_one_database_under_two_host_spellings_do_not_clash()
    {
        // Payments' database as 127.0.0.1 for the decision log and as localhost for the resource: two claims, one database.
        var other = Respell(_bank.Payments);
        await using var first = Coordinator(_bank.Node, decisionLogTable: "spelled_decisions", paymentsResource: other);
        await StartAsync(first);

        await using var second = Coordinator(_bank.Node, decisionLogTable: "spelled_decisions", paymentsResource: other);
        var error = await Assert.ThrowsAsync<CoordinatorNodeInUseException>(() => StartAsync(second));

        Assert.Equal(_bank.Node, error.NodeId);
        Assert.Equal(1, await CountClaimsAsync());
    }

    [Fact]
    public async Task The_claim_session_asks_the_server_to_notice_a_vanished_client_within_seconds()
    {
        await using var dataSource = NpgsqlDataSource.Create(_bank.Payments);
        await using var held = await PostgresNodeClaim.ClaimAsync(dataSource, "payments", BankDatabases.Prefix, _bank.Node, new NodeClaimOwner(), CancellationToken.None);
        var connection = Assert.IsType<PostgresNodeClaim>(held).Connection!;

        async Task<string> ShowAsync(string setting)
        {
            await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
            return (string)(await command.ExecuteScalarAsync())!;
        }

        Assert.Equal("10", await ShowAsync("tcp_keepalives_idle"));
        Assert.Equal("5", await ShowAsync("tcp_keepalives_interval"));
        Assert.Equal("3", await ShowAsync("tcp_keepalives_count"));
        Assert.Equal("30000", await ShowAsync("tcp_user_timeout"));
    }

    [Theory]
    [InlineData("'{payments,orders}', '{only-one}'", "names 2 resources but 1 global ids")]
    [InlineData("'{payments,orders}', '{a,NULL}'", "branch 2 has an empty resource or global id")]
    public async Task A_decision_row_that_does_not_make_sense_stops_recovery_instead_of_being_skipped(string arrays, string problem)
    {
        await using var log = NpgsqlDecisionLog.Create(_bank.Payments, "guard_rows");
        await log.ReadCommittedAsync(CancellationToken.None); // creates the table
        var id = Guid.NewGuid();
        await BankDatabases.ExecuteAsync(_bank.Payments, $"INSERT INTO guard_rows (transaction_id, decided_at, resources, global_ids) VALUES ('{id}', now(), {arrays})");

        var error = await Assert.ThrowsAsync<DecisionLogDamagedException>(async () => await log.ReadCommittedAsync(CancellationToken.None));

        Assert.Equal(id, error.TransactionId);
        Assert.Contains("guard_rows", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_decision_row_with_an_infinite_time_stops_recovery()
    {
        await using var log = NpgsqlDecisionLog.Create(_bank.Payments, "guard_time");
        await log.ReadCommittedAsync(CancellationToken.None);
        var id = Guid.NewGuid();
        await BankDatabases.ExecuteAsync(_bank.Payments, $"INSERT INTO guard_time (transaction_id, decided_at, resources, global_ids) VALUES ('{id}', 'infinity', '{{payments}}', '{{g}}')");

        var error = await Assert.ThrowsAsync<DecisionLogDamagedException>(async () => await log.ReadCommittedAsync(CancellationToken.None));

        Assert.Equal(id, error.TransactionId);
    }

    [Fact]
    public async Task A_decision_log_table_named_like_an_sql_keyword_is_quoted_and_works()
    {
        await using var log = NpgsqlDecisionLog.Create(_bank.Payments, "order");
        var decision = new CommitDecision(Guid.NewGuid(), DateTimeOffset.UtcNow, [new CommitBranch("payments", "g1"), new CommitBranch("orders", "g2")]);

        await log.RecordCommitAsync(decision, CancellationToken.None);

        var read = Assert.Single(await log.ReadCommittedAsync(CancellationToken.None));
        Assert.Equal(decision.TransactionId, read.TransactionId);
        Assert.Equal(1L, await BankDatabases.ScalarAsync(_bank.Payments, "SELECT count(*) FROM \"order\""));
    }

    [Fact]
    public void A_table_name_outside_the_plain_identifier_pattern_is_refused_with_the_setting_named()
    {
        var error = Assert.Throws<ArgumentException>(() => NpgsqlDecisionLog.Create(_bank.Payments, "decisions; DROP TABLE accounts"));

        Assert.Contains("tableName of UseNpgsqlDecisionLog", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The same database under the other spelling of the loopback host.</summary>
    private static string Respell(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Host = builder.Host == "localhost" ? "127.0.0.1" : "localhost";
        return builder.ConnectionString;
    }

    private Host Coordinator(string node, string? decisionLogTable, string? paymentsResource = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddTwoPhaseCommit(o =>
            {
                o.Prefix = BankDatabases.Prefix;
                o.NodeId = node;
                o.DecisionLogPath = Path.Combine(_directory, $"{Guid.NewGuid():N}.log");
            })
            .UseNpgsql("payments", paymentsResource ?? _bank.Payments)
            .UseNpgsql("orders", _bank.Orders);
        if (decisionLogTable is not null)
        {
            builder.UseNpgsqlDecisionLog(_bank.Payments, decisionLogTable);
        }

        return new Host(services.BuildServiceProvider());
    }

    private static Task StartAsync(Host host) => host.StartAsync();

    private async Task TerminateClaimSessionsAsync()
    {
        foreach (var database in new[] { _bank.Payments, _bank.Orders })
        {
            await BankDatabases.ExecuteAsync(database, "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        }
    }

    private async Task<long> CountClaimsAsync()
    {
        await using var connection = new NpgsqlConnection(_bank.Payments);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The coordinator's services as a host runs them: started, then stopped and disposed.</summary>
    private sealed class Host(ServiceProvider provider) : IAsyncDisposable
    {
        private readonly IHostedService _recovery = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "TransactionRecoveryService");

        public TwoPhaseCommitCoordinator Coordinator => provider.GetRequiredService<TwoPhaseCommitCoordinator>();
        private bool _started;
        private bool _disposed;

        public async Task StartAsync()
        {
            await _recovery.StartAsync(CancellationToken.None);
            _started = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_started)
            {
                await _recovery.StopAsync(CancellationToken.None);
            }

            await provider.DisposeAsync();
        }
    }
}
