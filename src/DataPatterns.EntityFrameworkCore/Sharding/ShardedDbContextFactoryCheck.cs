using Microsoft.EntityFrameworkCore;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>An options type with nothing in it: its start-up validation builds the factory of <typeparamref name="TContext"/>.</summary>
internal sealed class ShardedDbContextFactoryCheck<TContext>
    where TContext : DbContext;
