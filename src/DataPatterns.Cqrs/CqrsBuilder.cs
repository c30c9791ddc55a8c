using System.Diagnostics.CodeAnalysis;
using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers handlers and projections; providers (<c>.UseNpgsql(...)</c>) hang off it.</summary>
public sealed class CqrsBuilder
{
    internal CqrsBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers <typeparamref name="THandler"/> as the handler of <typeparamref name="TCommand"/> (scoped by default).</summary>
    /// <typeparam name="TCommand">The command.</typeparam>
    /// <typeparam name="TResult">Its result.</typeparam>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="lifetime">The handler's lifetime.</param>
    /// <returns>This builder.</returns>
    public CqrsBuilder AddCommandHandler<TCommand, TResult, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where THandler : class, ICommandHandler<TCommand, TResult>
    {
        Services.TryAdd(ServiceDescriptor.Describe(typeof(ICommandHandler<TCommand, TResult>), typeof(THandler), lifetime));
        return this;
    }

    /// <summary>Registers <typeparamref name="THandler"/> as the handler of <typeparamref name="TQuery"/> (scoped by default).</summary>
    /// <typeparam name="TQuery">The query.</typeparam>
    /// <typeparam name="TResult">Its answer.</typeparam>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="lifetime">The handler's lifetime.</param>
    /// <returns>This builder.</returns>
    public CqrsBuilder AddQueryHandler<TQuery, TResult, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where THandler : class, IQueryHandler<TQuery, TResult>
    {
        Services.TryAdd(ServiceDescriptor.Describe(typeof(IQueryHandler<TQuery, TResult>), typeof(THandler), lifetime));
        return this;
    }

    /// <summary>
    /// Registers a projection (a singleton) and the runner that keeps it up to date. The projection's name must be unique
    /// and it must handle at least one event type; both are checked when the host starts.
    /// </summary>
    /// <typeparam name="TProjection">The projection.</typeparam>
    /// <returns>This builder.</returns>
    public CqrsBuilder AddProjection<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProjection>()
        where TProjection : class, IProjection
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProjection, TProjection>());
        AddRunner();
        return this;
    }

    /// <summary>Registers a projection instance (see <see cref="AddProjection{TProjection}()"/>).</summary>
    /// <param name="projection">The projection.</param>
    /// <returns>This builder.</returns>
    public CqrsBuilder AddProjection(IProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        Services.AddSingleton<IProjection>(projection);
        AddRunner();
        return this;
    }

    private void AddRunner()
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProjectionRunner>());
        Services.TryAddSingleton<IProjectionRebuilder, ProjectionRebuilder>();
    }

    /// <summary>Configures the projection runner.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder.</returns>
    public CqrsBuilder ConfigureRunner(Action<ProjectionRunnerOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>Configures the lag limits of <see cref="ProjectionLagHealthCheck"/>.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder.</returns>
    public CqrsBuilder ConfigureHealth(Action<ProjectionHealthOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
