using DataPatterns.Testing;
using Npgsql;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>
/// The participant side of stateless two-phase commit on a real server: the branch's marker and a recovery's fence
/// share one key, so exactly one of them can commit, and what recovery sees follows the branch through its life.
/// </summary>
public sealed class StatelessMarkerTests
{
    private static readonly TimeSpan LockWait = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_prepared_branch_is_seen_prepared_blocks_a_fence_and_is_seen_committed_after_commit_prepared()
    {
        await using var db = await MarkerDatabase.CreateAsync();
        var gid = MarkerDatabase.NewGlobalId();
        await using var branch = await db.BeginBranchAsync();

        await PostgresBranchMarkers.PrepareWithMarkerAsync(branch.Connection, gid, CancellationToken.None);

        Assert.Equal(BranchObservation.Prepared, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));
        Assert.Equal(FenceOutcome.Blocked, await PostgresBranchMarkers.FenceAsync(db.DataSource, gid, LockWait, CancellationToken.None));
        await db.ExecuteAsync($"COMMIT PREPARED '{gid}'");
        Assert.Equal(BranchObservation.Committed, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));
        Assert.Equal(FenceOutcome.Taken, await PostgresBranchMarkers.FenceAsync(db.DataSource, gid, LockWait, CancellationToken.None));
        Assert.Equal(1L, await db.ScalarAsync($"SELECT count(*) FROM {PostgresBranchMarkers.Table} WHERE gid = '{gid}' AND NOT fenced"));
    }

    [Fact]
    public async Task A_fence_that_lands_first_makes_the_branch_fail_to_prepare_and_leaves_nothing_prepared()
    {
        await using var db = await MarkerDatabase.CreateAsync();
        var gid = MarkerDatabase.NewGlobalId();
        Assert.Equal(BranchObservation.Absent, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));

        Assert.Equal(FenceOutcome.Landed, await PostgresBranchMarkers.FenceAsync(db.DataSource, gid, LockWait, CancellationToken.None));
        Assert.Equal(BranchObservation.Fenced, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));

        await using var branch = await db.BeginBranchAsync();
        var error = await Assert.ThrowsAsync<BranchFencedException>(() => PostgresBranchMarkers.PrepareWithMarkerAsync(branch.Connection, gid, CancellationToken.None).AsTask());
        Assert.Equal(gid, error.GlobalId);
        Assert.Contains("Roll the branch back", error.Message, StringComparison.Ordinal);
        await branch.Transaction.RollbackAsync();
        Assert.Equal(0L, await db.ScalarAsync($"SELECT count(*) FROM pg_prepared_xacts WHERE gid = '{gid}'"));
    }

    [Fact]
    public async Task A_running_branch_that_inserted_its_marker_blocks_a_fence_until_it_rolls_back_and_then_the_fence_lands()
    {
        await using var db = await MarkerDatabase.CreateAsync();
        var gid = MarkerDatabase.NewGlobalId();
        await using var branch = await db.BeginBranchAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {PostgresBranchMarkers.Table} (gid, fenced) VALUES ('{gid}', false)", branch.Connection, branch.Transaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // Not prepared and no committed marker: recovery sees it absent, and its fence waits on the running branch.
        Assert.Equal(BranchObservation.Absent, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));
        Assert.Equal(FenceOutcome.Blocked, await PostgresBranchMarkers.FenceAsync(db.DataSource, gid, LockWait, CancellationToken.None));

        await branch.Transaction.RollbackAsync();
        Assert.Equal(FenceOutcome.Landed, await PostgresBranchMarkers.FenceAsync(db.DataSource, gid, LockWait, CancellationToken.None));
    }

    [Fact]
    public async Task A_rolled_back_prepared_branch_leaves_no_marker_behind()
    {
        await using var db = await MarkerDatabase.CreateAsync();
        var gid = MarkerDatabase.NewGlobalId();
        await using var branch = await db.BeginBranchAsync();
        await PostgresBranchMarkers.PrepareWithMarkerAsync(branch.Connection, gid, CancellationToken.None);

        await db.ExecuteAsync($"ROLLBACK PREPARED '{gid}'");

        Assert.Equal(BranchObservation.Absent, await PostgresBranchMarkers.ObserveAsync(db.DataSource, gid, CancellationToken.None));
    }

    /// <summary>A fresh database with the marker table; global ids unique to the run, so recovery tests elsewhere never see them.</summary>
    private sealed class MarkerDatabase : IAsyncDisposable
    {
        private readonly TemporaryDatabase _database;

        private MarkerDatabase(TemporaryDatabase database)
        {
            _database = database;
            DataSource = NpgsqlDataSource.Create(database.ConnectionString);
        }

        public NpgsqlDataSource DataSource { get; }

        public static async Task<MarkerDatabase> CreateAsync()
        {
            var db = new MarkerDatabase(await TemporaryDatabase.CreateAsync(TestServers.Primary, "tx_markers"));
            await PostgresBranchMarkers.EnsureCreatedAsync(db.DataSource, CancellationToken.None);
            return db;
        }

        public static string NewGlobalId() => "dpmarkertest:" + Guid.NewGuid().ToString("N");

        public async Task<Branch> BeginBranchAsync()
        {
            var connection = await DataSource.OpenConnectionAsync();
            return new Branch(connection, await connection.BeginTransactionAsync());
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var command = DataSource.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }

        public async Task<object?> ScalarAsync(string sql)
        {
            await using var command = DataSource.CreateCommand(sql);
            return await command.ExecuteScalarAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await LeftoverBranches.RollBackAllAsync(DataSource);
            await DataSource.DisposeAsync();
            await _database.DisposeAsync();
        }
    }

    private sealed class Branch(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public NpgsqlConnection Connection { get; } = connection;

        public NpgsqlTransaction Transaction { get; } = transaction;

        public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
    }
}
