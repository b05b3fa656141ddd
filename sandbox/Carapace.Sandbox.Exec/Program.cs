// Placeholder entry point; the launcher is built in the sandbox issue. It refuses to run anything.
Console.Error.WriteLine("carapace-sandbox-exec: launcher not built yet; refusing to run");
return 125;
