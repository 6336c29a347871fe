using System.Runtime.InteropServices;

namespace Serving.LoadTests.Commands;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for the whole command line: the first one cancels <see cref="Token"/>, so a run stops
/// sending, waits for what is outstanding (at most its drain timeout) and prints the report of what ran; a second one
/// ends the process at once. System.CommandLine's own handling ended the process 2 s after the first signal, whatever
/// the command was still doing, so a run whose drain took longer printed nothing.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    private StopSignals()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Starts listening for the signals.</summary>
    public static StopSignals Register() => new();

    /// <inheritdoc />
    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        // The first signal is handled here; the second takes its default action, which ends the process.
        context.Cancel = !_stop.IsCancellationRequested;
        _stop.Cancel();
    }
}
