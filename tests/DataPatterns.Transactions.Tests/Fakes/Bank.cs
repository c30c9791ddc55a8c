using Microsoft.Extensions.Time.Testing;

namespace DataPatterns.Transactions.Tests;

/// <summary>Two fake databases ("payments", "orders"), a shared decision log and a coordinator factory.</summary>
internal sealed class Bank
{
    public Bank(string node = "n1")
    {
        Node = node;
        Payments = new FakeDatabase("payments", Time);
        Orders = new FakeDatabase("orders", Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string Node { get; }

    public FakeDatabase Payments { get; }

    public FakeDatabase Orders { get; }

    public InMemoryDecisionLog Log { get; } = new();

    public TwoPhaseCommitOptions Options(TimeSpan? grace = null) => new()
    {
        Prefix = "test",
        NodeId = Node,
        TransactionTimeout = TimeSpan.FromSeconds(5),
        RecoveryGracePeriod = grace ?? TimeSpan.Zero,
        RetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromSeconds(4),
    };

    public TwoPhaseCommitCoordinator Coordinator(TimeSpan? grace = null) =>
        new(Options(grace), Log, [Payments, Orders], Time);
}
