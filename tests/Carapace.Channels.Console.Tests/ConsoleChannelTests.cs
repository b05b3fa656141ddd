using Carapace.Testing.PluginHarness;

namespace Carapace.Channels.Console.Tests;

/// <summary>Swaps the process's Console.In/Out, hence the serial collection.</summary>
[Collection(SerialCollection.Name)]
public sealed class ConsoleChannelTests
{
    [Fact]
    public async Task Console_lines_are_routed_and_replies_printed_when_enabled()
    {
        var originalIn = System.Console.In;
        var originalOut = System.Console.Out;
        using var output = new StringWriter();
        System.Console.SetIn(new StringReader("/hello name=console\nno command\n"));
        System.Console.SetOut(output);
        try
        {
            // Bundled, as in the product: only a bundled channel's IsLocal claim is believed.
            await using var harness = await RuntimeHarness.StartAsync([], new Dictionary<string, string?>
            {
                ["plugins:console:enabled"] = "true",
                ["channels:console:tools:0"] = "hello",
            }, bundledDirectory: RuntimeHarness.PluginsDirectory);
            Assert.Equal("active", harness.Runtime.Get("console")!.State);

            Assert.True(await Eventually.TrueAsync(() => output.ToString().Contains("Tools: hello", StringComparison.Ordinal)), $"console output: [{output}] channels: {string.Join(",", harness.Runtime.ListChannels().Select(c => $"{c.Id}={c.State}:{c.LastError}"))} logs: {string.Join(" | ", harness.Logs.Lines.TakeLast(5))}");
            Assert.StartsWith("Hello, console!", output.ToString(), StringComparison.Ordinal);
            Assert.True((await harness.Runtime.DisableAsync("console")).Succeeded);
        }
        finally
        {
            System.Console.SetIn(originalIn);
            System.Console.SetOut(originalOut);
        }
    }

    [Fact]
    public async Task Console_channel_blocked_in_a_read_still_unloads()
    {
        var originalIn = System.Console.In;
        using var input = new BlockingReader();
        System.Console.SetIn(input);
        try
        {
            await using var harness = await RuntimeHarness.StartAsync([], new Dictionary<string, string?> { ["plugins:console:enabled"] = "true" },
                bundledDirectory: RuntimeHarness.PluginsDirectory);
            Assert.True(await Eventually.TrueAsync(() => input.PendingReads > 0), "the channel should be waiting for a line");

            var result = await harness.Runtime.DisableAsync("console");

            Assert.True(result.Succeeded, result.Message);
            Assert.Equal("disabled", harness.Runtime.Get("console")!.State);
        }
        finally
        {
            input.Release();
            System.Console.SetIn(originalIn);
        }
    }

    /// <summary>A terminal nobody types into: ReadLine blocks (ignoring cancellation) until released.</summary>
    private sealed class BlockingReader : TextReader
    {
        private readonly ManualResetEventSlim _release = new();
        private int _pending;

        public int PendingReads => Volatile.Read(ref _pending);

        public override string? ReadLine()
        {
            Interlocked.Increment(ref _pending);
            _release.Wait();
            return null;
        }

        public void Release() => _release.Set();

        protected override void Dispose(bool disposing)
        {
            _release.Set();
            base.Dispose(disposing);
        }
    }
}
