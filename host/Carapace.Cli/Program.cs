using System.CommandLine;
using Carapace.Cli;

// Signals are left to the gateway host (graceful shutdown of plugins) and to the default handler for
// client verbs, so System.CommandLine's own termination timeout is switched off.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await CaraCommand.Create().Parse(args).InvokeAsync(invocation);
