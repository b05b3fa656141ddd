using BenchmarkDotNet.Running;

// Every suite lives in its own folder (Plugins/, Sandbox/, Gateway/ ...); the switcher finds them all.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
