namespace DataPatterns.Caching;

/// <summary>Bounds a call to the distributed level, unless the timeout is infinite (the store's own timeouts apply).</summary>
internal static class DistributedCallTimeout
{
    public static Task WithTimeout(this Task task, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        task.IsCompleted || timeout == Timeout.InfiniteTimeSpan ? task.WaitAsync(cancellationToken) : task.WaitAsync(timeout, time, cancellationToken);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        task.IsCompleted || timeout == Timeout.InfiniteTimeSpan ? task.WaitAsync(cancellationToken) : task.WaitAsync(timeout, time, cancellationToken);
}
