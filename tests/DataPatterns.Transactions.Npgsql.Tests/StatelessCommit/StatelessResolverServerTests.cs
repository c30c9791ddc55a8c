using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// Stateless transactions finished from the participants alone, on two real databases, by two resolvers at once (two
/// instances that found the same transaction): both reach the same outcome and the data agrees with it.
/// </summary>
public sealed class StatelessResolverServerTests
{
    [Fact]
    public async Task Two_resolvers_at_once_commit_a_transaction_whose_branches_all_prepared()
    {
        await using var pair = await DatabasePair.CreateAsync();
        var ids = StatelessGlobalId.Format("dpstateless", Guid.NewGuid(), ["orders", "payments"]);
        await pair.PrepareAsync(0, ids[0], "order-1");
        await pair.PrepareAsync(1, ids[1], "payment-1");

        var outcomes = await Task.WhenAll(pair.ResolveAsync(ids), pair.ResolveAsync(ids));

        Assert.All(outcomes, o => Assert.Equal(StatelessOutcome.Committed, o));
        Assert.Equal(1L, await pair.CountRowsAsync(0));
        Assert.Equal(1L, await pair.CountRowsAsync(1));
        Assert.Equal(0L, await pair.PreparedLeftAsync());
    }

    [Fact]
    public async Task Two_resolvers_at_once_abort_a_transaction_with_a_branch_that_never_prepared_and_that_branch_can_never_prepare_later()
    {
        await using var pair = await DatabasePair.CreateAsync();
        var ids = StatelessGlobalId.Format("dpstateless", Guid.NewGuid(), ["orders", "payments"]);
        await pair.PrepareAsync(0, ids[0], "order-2");

        var outcomes = await Task.WhenAll(pair.ResolveAsync(ids), pair.ResolveAsync(ids));

        Assert.All(outcomes, o => Assert.Equal(StatelessOutcome.Aborted, o));
        Assert.Equal(0L, await pair.CountRowsAsync(0));
        Assert.Equal(0L, await pair.PreparedLeftAsync());

        // The coordinator that was slow, not dead, now tries to prepare the second branch: the fence refuses it.
        await Assert.ThrowsAsync<BranchFencedException>(() => pair.PrepareAsync(1, ids[1], "payment-2"));
        Assert.Equal(0L, await pair.CountRowsAsync(1));
    }

    private sealed class DatabasePair : IAsyncDisposable
    {
        private readonly TemporaryDatabase[] _databases;
        private readonly NpgsqlTransactionResource[] _resources;

        private DatabasePair(TemporaryDatabase[] databases)
        {
            _databases = databases;
            _resources = [
                NpgsqlTransactionResource.Create("orders", databases[0].ConnectionString),
                NpgsqlTransactionResource.Create("payments", databases[1].ConnectionString)];
        }

        public static async Task<DatabasePair> CreateAsync()
        {
            var pair = new DatabasePair([
                await TemporaryDatabase.CreateAsync(TestServers.Primary, "tx_stateless_a"),
                await TemporaryDatabase.CreateAsync(TestServers.Primary, "tx_stateless_b")]);
            foreach (var resource in pair._resources)
            {
                await using var command = resource.DataSource.CreateCommand("CREATE TABLE rows (id text PRIMARY KEY)");
                await command.ExecuteNonQueryAsync();
                await PostgresBranchMarkers.EnsureCreatedAsync(resource.DataSource, CancellationToken.None);
            }

            return pair;
        }

        /// <summary>A branch writes one row, then inserts its marker and prepares, as the coordinator would.</summary>
        public async Task PrepareAsync(int participant, string globalId, string row)
        {
            await using var connection = await _resources[participant].DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand("INSERT INTO rows (id) VALUES ($1)", connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = row });
                await insert.ExecuteNonQueryAsync();
            }

            await PostgresBranchMarkers.PrepareWithMarkerAsync(connection, globalId, CancellationToken.None);
        }

        public Task<StatelessOutcome> ResolveAsync(IReadOnlyList<string> ids) =>
            StatelessResolver.ResolveAsync(_resources, ids, maxRounds: 5, CancellationToken.None).AsTask();

        public async Task<long> CountRowsAsync(int participant)
        {
            await using var command = _resources[participant].DataSource.CreateCommand("SELECT count(*) FROM rows");
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public async Task<long> PreparedLeftAsync()
        {
            await using var command = _resources[0].DataSource.CreateCommand($"SELECT count(*) FROM pg_prepared_xacts WHERE database IN ('{_databases[0].Name}', '{_databases[1].Name}')");
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var resource in _resources)
            {
                await LeftoverBranches.RollBackAllAsync(resource.DataSource);
                await resource.DisposeAsync();
            }

            foreach (var database in _databases)
            {
                await database.DisposeAsync();
            }
        }
    }
}
