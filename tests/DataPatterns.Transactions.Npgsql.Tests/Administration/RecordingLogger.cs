using Microsoft.Extensions.Logging;

namespace DataPatterns.Transactions.Npgsql.Tests;

/// <summary>Keeps every log line (event id and text), for tests that check an audit line was written.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(int EventId, LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
