using DataPatterns.Cqrs;
using Microsoft.Extensions.DependencyInjection;

namespace DataPatterns.Cqrs.Tests;

public sealed class DispatcherTests
{
    private sealed record Deposit(string Account, long Amount);

    private sealed record GetBalance(string Account);

    private sealed class Ledger
    {
        public Dictionary<string, long> Balances { get; } = [];
    }

    private sealed class DepositHandler(Ledger ledger) : ICommandHandler<Deposit, long>
    {
        public ValueTask<long> HandleAsync(Deposit command, CancellationToken cancellationToken)
        {
            ledger.Balances[command.Account] = ledger.Balances.GetValueOrDefault(command.Account) + command.Amount;
            return ValueTask.FromResult(ledger.Balances[command.Account]);
        }
    }

    private sealed class GetBalanceHandler(Ledger ledger) : IQueryHandler<GetBalance, long>
    {
        public ValueTask<long> HandleAsync(GetBalance query, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ledger.Balances.GetValueOrDefault(query.Account));
    }

    private static ServiceProvider Build() =>
        new ServiceCollection()
            .AddSingleton<Ledger>()
            .AddCqrs(cqrs => cqrs
                .AddCommandHandler<Deposit, long, DepositHandler>()
                .AddQueryHandler<GetBalance, long, GetBalanceHandler>())
            .Services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

    [Fact]
    public async Task Commands_and_queries_reach_their_registered_handlers()
    {
        await using var provider = Build();
        await using var scope = provider.CreateAsyncScope();
        var dispatcher = scope.ServiceProvider.GetRequiredService<IDispatcher>();

        Assert.Equal(5, await dispatcher.SendAsync<Deposit, long>(new Deposit("a", 5)));
        Assert.Equal(12, await dispatcher.SendAsync<Deposit, long>(new Deposit("a", 7)));
        Assert.Equal(12, await dispatcher.QueryAsync<GetBalance, long>(new GetBalance("a")));
        Assert.Equal(0, await dispatcher.QueryAsync<GetBalance, long>(new GetBalance("b")));
    }

    [Fact]
    public async Task A_command_without_a_handler_fails_with_how_to_register_one()
    {
        await using var provider = Build();
        await using var scope = provider.CreateAsyncScope();
        var dispatcher = scope.ServiceProvider.GetRequiredService<IDispatcher>();

        var error = await Assert.ThrowsAsync<HandlerNotRegisteredException>(async () => await dispatcher.SendAsync<Deposit, int>(new Deposit("a", 1)));
        Assert.Contains("AddCommandHandler<Deposit, Int32", error.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(Deposit), error.MessageType);
    }

    [Fact]
    public void A_user_registration_made_first_wins_over_AddCqrs()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IDispatcher, CustomDispatcher>();
        services.AddCqrs();
        using var provider = services.BuildServiceProvider();
        Assert.IsType<CustomDispatcher>(provider.GetRequiredService<IDispatcher>());
    }

    private sealed class CustomDispatcher : IDispatcher
    {
        public ValueTask<TResult> SendAsync<TCommand, TResult>(TCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<TResult> QueryAsync<TQuery, TResult>(TQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
