// Placeholder until the CLI lands in the gateway-foundation issue.
Console.Error.WriteLine("cara: not built yet");
return 1;
