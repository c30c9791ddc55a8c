namespace DataPatterns.Samples.Shop.Postgres.Budget;

/// <summary>Logs, as the Shop starts, each server's budget and pool sizes, and warns when the pools can exceed it.</summary>
internal sealed partial class ConnectionBudgetReport(IReadOnlyList<ServerBudget> budgets, ILogger<ConnectionBudgetReport> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var budget in budgets)
        {
            var pools = string.Join(", ", budget.Pools.Select(p => $"{p.Name} {p.Size}"));
            if (!budget.Asked)
            {
                NotAsked(logger, budget.Server, budget.MaxConnections);
            }

            if (budget.Exceeds)
            {
                Exceeds(logger, budget.Server, budget.Instances, budget.ClusterTotal, budget.MaxConnections, budget.Reserved, budget.ClusterBudget, pools);
            }
            else
            {
                Sized(logger, budget.Server, budget.MaxConnections, budget.Reserved, budget.Instances, pools, budget.PerInstance, budget.ClusterTotal);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 9020, Level = LogLevel.Information, Message = "Connection budget of {Server}: max_connections {MaxConnections}, {Reserved} reserved, {Instances} Shop instance(s); this instance's pools: {Pools} ({PerInstance} connections; {ClusterTotal} for all instances).")]
    private static partial void Sized(ILogger logger, string server, int maxConnections, int reserved, int instances, string pools, int perInstance, int clusterTotal);

    [LoggerMessage(EventId = 9021, Level = LogLevel.Warning, Message = "Connection budget of {Server} EXCEEDED: the pools of {Instances} Shop instance(s) can open {ClusterTotal} connections, more than max_connections {MaxConnections} - {Reserved} reserved = {Budget}; under load the server will refuse connections ('too many clients'), to the Shop and to its other clients. Pools: {Pools}. Lower Shop:Connections:MaxPoolSize (0 derives it from the budget), set Shop:Connections:Instances to the real instance count, or raise max_connections.")]
    private static partial void Exceeds(ILogger logger, string server, int instances, int clusterTotal, int maxConnections, int reserved, int budget, string pools);

    [LoggerMessage(EventId = 9022, Level = LogLevel.Warning, Message = "Connection budget of {Server}: the server did not answer SHOW max_connections at start; the pools are sized for an assumed max_connections of {Assumed} (Shop:Connections:AssumedMaxConnections).")]
    private static partial void NotAsked(ILogger logger, string server, int assumed);
}
