using DataPatterns.Cqrs;
using DataPatterns.Cqrs.Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DataPatterns.Samples.Quickstart;

/// <summary>A command changes the write model and appends its event in one transaction; a projection keeps the read model.</summary>
internal static class CqrsQuickstart
{
    public static async Task<int> RunAsync(string[] args)
    {
        var server = Environment.GetEnvironmentVariable("DATAPATTERNS_PG_PRIMARY") ?? "Host=127.0.0.1;Port=55432;Username=postgres";
        await using (var admin = NpgsqlDataSource.Create(server)) // a database of its own for the write model, the outbox and the read model
        {
            if (await admin.CreateCommand("SELECT 1 FROM pg_database WHERE datname = 'quickstart_cqrs'").ExecuteScalarAsync() is null)
            {
                await admin.CreateCommand("CREATE DATABASE quickstart_cqrs").ExecuteNonQueryAsync();
            }
        }

        var database = new NpgsqlConnectionStringBuilder(server) { Database = "quickstart_cqrs" }.ConnectionString;
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(NpgsqlDataSource.Create(database)); // the write model, for the command handler
        builder.Services.AddCqrs(cqrs => cqrs.AddCommandHandler<Deposit, long, DepositHandler>().AddProjection<BalancesProjection>())
            .UseNpgsql(o => o.ConnectionString = database);
        using var host = builder.Build();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        await db.CreateCommand("CREATE TABLE IF NOT EXISTS accounts (id text PRIMARY KEY, balance bigint NOT NULL)").ExecuteNonQueryAsync();
        await host.StartAsync(); // starts the projection runner
        await using var scope = host.Services.CreateAsyncScope(); // one scope per request in a web application
        var balance = await scope.ServiceProvider.GetRequiredService<IDispatcher>().SendAsync<Deposit, long>(new Deposit("alice", 10));

        // Wait until the projection's checkpoint has caught up with the event source, then query the read model.
        var (monitor, events) = (host.Services.GetRequiredService<IProjectionMonitor>(), host.Services.GetRequiredService<IEventSource>());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await events.GetLagAsync(monitor.Find("balances")?.Checkpoint ?? EventPosition.Start, timeout.Token)).EventsBehind > 0)
        {
            await Task.Delay(10, timeout.Token);
        }

        var projected = (long?)await db.CreateCommand("SELECT balance FROM balances.accounts WHERE id = 'alice'").ExecuteScalarAsync();
        Console.WriteLine($"write model: alice has {balance}; read model balances.accounts: {projected} (checkpoint {monitor.Find("balances")?.Checkpoint})");
        await host.StopAsync();
        return projected == balance ? 0 : 1;
    }
}
