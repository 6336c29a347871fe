using System.CommandLine;
using Serving.LoadTests.Commands;

// Signals are the commands' (StopSignals): a run stopped by Ctrl+C still drains and prints what it measured.
using var stop = StopSignals.Register();
return await LoadTestCommands.InvokeAsync(args, new InvocationConfiguration { ProcessTerminationTimeout = null }, stop.Token);
