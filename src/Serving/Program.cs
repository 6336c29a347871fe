using System.CommandLine;
using Serving.Commands;

// The host handles SIGTERM itself (readiness off, drain); don't let the parser kill the process first.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await ServingCommandLine.InvokeAsync(args, invocation).ConfigureAwait(false);
