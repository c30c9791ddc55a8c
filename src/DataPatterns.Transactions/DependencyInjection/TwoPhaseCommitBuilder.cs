using DataPatterns.Transactions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddTwoPhaseCommit</c>: names the resources (databases) and picks the decision log.</summary>
public sealed class TwoPhaseCommitBuilder
{
    internal TwoPhaseCommitBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers a resource (a database taking part in transactions) built from the service provider.</summary>
    public TwoPhaseCommitBuilder AddResource(Func<IServiceProvider, ITransactionResource> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(factory);
        return this;
    }

    /// <summary>Registers a resource instance.</summary>
    public TwoPhaseCommitBuilder AddResource(ITransactionResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        Services.AddSingleton(resource);
        return this;
    }

    /// <summary>Replaces the embedded file decision log with another <see cref="IDecisionLog"/>.</summary>
    public TwoPhaseCommitBuilder UseDecisionLog(Func<IServiceProvider, IDecisionLog> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>
    /// Commits without a decision log (<see cref="TwoPhaseCommitOptions.StatelessCommit"/>): the transaction is committed
    /// once every participant has prepared with its marker, and any instance's recovery settles any transaction from the
    /// participants alone. No decision log file, no node id. Every resource must support it (PostgreSQL does).
    /// </summary>
    public TwoPhaseCommitBuilder UseStatelessCommit()
    {
        Services.Configure<TwoPhaseCommitOptions>(static options => options.StatelessCommit = true);
        return this;
    }
}
