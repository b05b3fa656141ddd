using Carapace.Sandbox.Exec;

// carapace-sandbox-exec: reads a length-prefixed JSON spec from stdin, confines itself on this (the
// main) thread, then execve()s the target. Exit 125 = the sandbox could not be applied.
return Launcher.Run();
