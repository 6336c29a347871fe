using Microsoft.Extensions.Logging;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>A hand-written logger fake: keeps every message and runs <see cref="OnLog"/> at the moment of logging.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<string> _messages = [];

    /// <summary>Called synchronously inside the log call, so a test can look at state at that exact point.</summary>
    public Action<string>? OnLog { get; set; }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return _messages.ToArray();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var message = formatter(state, exception);
        lock (_messages)
        {
            _messages.Add(message);
        }

        OnLog?.Invoke(message);
    }
}
