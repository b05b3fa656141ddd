using System.Text.Json;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Tools.Shell.Tests;

/// <summary>
/// The real shell plugin, loaded by the real runtime, running commands through the host's real sandbox
/// broker (Landlock, seccomp, rlimits, the staged carapace-sandbox-exec launcher) on this machine.
/// </summary>
public sealed class ShellToolTests(ShellToolTests.Fixture fixture) : IClassFixture<ShellToolTests.Fixture>
{
    [Fact]
    public async Task Echo_runs_in_the_sandbox_and_reports_output_and_timing()
    {
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await Invoke(harness, new { command = "/bin/echo", args = new[] { "hi" } });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.Equal(0, output.GetProperty("exitCode").GetInt32());
        Assert.Equal("hi\n", output.GetProperty("stdout").GetString());
        Assert.Equal(string.Empty, output.GetProperty("stderr").GetString());
        Assert.False(output.GetProperty("stdoutTruncated").GetBoolean());
        Assert.False(output.GetProperty("stderrTruncated").GetBoolean());
        Assert.False(output.GetProperty("timedOut").GetBoolean());
        Assert.InRange(output.GetProperty("durationMs").GetInt64(), 0, 10_000);
        Assert.Equal("default", output.GetProperty("profile").GetString());
    }

    [Fact]
    public async Task Script_runs_under_sh_with_args_and_stdin_and_a_nonzero_exit_is_a_result()
    {
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await Invoke(harness, new
        {
            script = """read line; echo "$1:$line"; echo oops >&2; exit 3""",
            args = new[] { "first" },
            stdin = "from-stdin\n",
        });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.Equal(3, output.GetProperty("exitCode").GetInt32());
        Assert.Equal("first:from-stdin\n", output.GetProperty("stdout").GetString());
        Assert.Equal("oops\n", output.GetProperty("stderr").GetString());
    }

    [Fact]
    public async Task Reading_a_file_outside_the_profile_roots_fails_inside_the_sandbox()
    {
        using var outside = new WorldReadableFile("carapace-shell-canary-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(outside.Content, await File.ReadAllTextAsync(outside.Path)); // readable, as far as permissions go
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await Invoke(harness, new { command = "/bin/cat", args = new[] { outside.Path } });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.NotEqual(0, output.GetProperty("exitCode").GetInt32());
        Assert.Contains("Permission denied", output.GetProperty("stderr").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(outside.Content, output.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_past_its_timeout_is_killed_and_reported()
    {
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await Invoke(harness, new { script = "echo started; sleep 20", timeoutSeconds = 1 });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.True(output.GetProperty("timedOut").GetBoolean());
        Assert.Equal(124, output.GetProperty("exitCode").GetInt32());
        Assert.Equal("started\n", output.GetProperty("stdout").GetString());
        Assert.InRange(output.GetProperty("durationMs").GetInt64(), 900, 15_000);
    }

    [Fact]
    public async Task Output_beyond_the_profile_caps_is_truncated_and_flagged()
    {
        await using var harness = await StartAsync(grants: ["tiny"], profile: "tiny");

        var result = await Invoke(harness, new { script = """head -c 1000 /dev/zero | tr '\0' a; head -c 10 /dev/zero | tr '\0' b >&2""" });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.Equal(0, output.GetProperty("exitCode").GetInt32());
        Assert.Equal(new string('a', Fixture.TinyCap), output.GetProperty("stdout").GetString());
        Assert.True(output.GetProperty("stdoutTruncated").GetBoolean());
        Assert.Equal("bbbbbbbbbb", output.GetProperty("stderr").GetString());
        Assert.False(output.GetProperty("stderrTruncated").GetBoolean());
    }

    [Fact]
    public async Task A_profile_that_was_not_granted_is_a_capability_denied_failure()
    {
        // The operator picked a profile for the plugin but granted it only the default one.
        await using var harness = await StartAsync(grants: ["default"], profile: "tiny");

        var result = await Invoke(harness, new { command = "/bin/echo", args = new[] { "hi" } });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("capability_denied: sandbox profile 'tiny' is not granted", result.Error, StringComparison.Ordinal);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("shell run refused", StringComparison.Ordinal) && l.Contains("capability_denied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plugin_granted_no_profile_is_refused_every_run_as_capability_denied()
    {
        await using var harness = await StartAsync(grants: []);

        var result = await Invoke(harness, new { command = "/bin/true" });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("capability_denied: sandbox profile 'default' is not granted", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_granted_but_undefined_profile_is_a_sandbox_unavailable_failure()
    {
        await using var harness = await StartAsync(grants: ["ghost"], profile: "ghost");

        var result = await Invoke(harness, new { command = "/bin/true" });

        Assert.Equal(ToolResultCodes.SandboxUnavailable, result.Code);
        Assert.Equal("the sandbox refused to run the command of tool 'shell': sandbox profile 'ghost' is granted but not defined under sandbox.profiles", result.Error);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("shell run refused", StringComparison.Ordinal) && l.Contains("sandbox_unavailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sandbox_refusals_never_fault_the_plugin()
    {
        // faultAfter would fault a plugin after this many failures in a row; a refusal is the host's, not the plugin's.
        await using var harness = await StartAsync(grants: ["ghost"], profile: "ghost", faultAfter: 2);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ToolResultCodes.SandboxUnavailable, (await Invoke(harness, new { command = "/bin/true" })).Code);
        }

        Assert.Equal("active", harness.Runtime.Get("shell")!.State);
    }

    [Fact]
    public async Task Invalid_requests_and_capability_denials_never_fault_the_plugin()
    {
        // faultAfter: 2 would deactivate the plugin after two real failures in a row; callers' mistakes and
        // missing grants are not the plugin's failures.
        await using var invalid = await StartAsync(grants: ["default"], faultAfter: 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ToolResultCodes.InvalidRequest, (await Invoke(invalid, new { command = "/nonexistent-carapace/bin" })).Code);
        }

        Assert.Equal("active", invalid.Runtime.Get("shell")!.State);
        Assert.True((await Invoke(invalid, new { command = "/bin/true" })).Succeeded);

        await using var denied = await StartAsync(grants: [], faultAfter: 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ToolResultCodes.CapabilityDenied, (await Invoke(denied, new { command = "/bin/true" })).Code);
        }

        Assert.Equal("active", denied.Runtime.Get("shell")!.State);
    }

    [Fact]
    public async Task An_executable_outside_the_roots_is_refused_before_it_runs()
    {
        using var outside = new WorldReadableFile("#!/bin/sh\necho escaped\n");
        File.SetUnixFileMode(outside.Path, (UnixFileMode)0b111_101_101);
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await Invoke(harness, new { command = outside.Path });

        Assert.Equal(ToolResultCodes.InvalidRequest, result.Code);
        Assert.Contains("invalid_request: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("is not inside a read-only or read-write root", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"command":"echo","args":["hi"]}""")]
    [InlineData("""{"command":"/bin/echo","script":"echo hi"}""")]
    [InlineData("""{}""")]
    [InlineData("""{"script":"true","timeoutSeconds":0}""")]
    public async Task Arguments_outside_the_schema_are_refused_by_the_host(string args)
    {
        await using var harness = await StartAsync(grants: ["default"]);

        var result = await harness.Runtime.InvokeToolAsync("shell", JsonText.Parse(args));

        Assert.Equal(ToolResultCodes.InvalidArguments, result.Code);
    }

    [Fact]
    public async Task Plugin_unloads_cleanly_after_sandboxed_runs()
    {
        await using var harness = await StartAsync(grants: ["default"]);
        Assert.True((await Invoke(harness, new { command = "/bin/echo", args = new[] { "hi" } })).Succeeded);
        Assert.True((await Invoke(harness, new { script = "sleep 20", timeoutSeconds = 1 })).Succeeded);

        var disabled = await harness.Runtime.DisableAsync("shell");

        Assert.True(disabled.Succeeded, disabled.Message);
        Assert.Equal("disabled", harness.Runtime.Get("shell")!.State);
    }

    private async Task<RuntimeHarness> StartAsync(string[] grants, string? profile = null, int? faultAfter = null)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < grants.Length; i++)
        {
            settings[$"plugins:shell:grants:subprocess:{i}"] = grants[i];
        }

        if (profile is not null)
        {
            settings["plugins:shell:profile"] = profile;
        }

        var harness = await RuntimeHarness.StartAsync(["shell"], settings, fixture.Host.Granting(settings),
            configure: faultAfter is { } n ? o => o.FaultAfter = n : null);
        var info = harness.Runtime.Get("shell")!;
        Assert.True(info.State == "active", info.Reason);
        return harness;
    }

    private static Task<ToolInvocationResult> Invoke(RuntimeHarness harness, object args) =>
        harness.Runtime.InvokeToolAsync("shell", JsonText.Parse(JsonSerializer.Serialize(args)));

    /// <summary>One real broker for the class; a <c>tiny</c> profile with 64-byte output caps beside the built-in default.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public const int TinyCap = 64;

        internal HostServices Host { get; private set; } = null!;

        public Task InitializeAsync()
        {
            Host = HostServices.Create(new Dictionary<string, string?>
            {
                ["sandbox:profiles:tiny:stdoutMaxBytes"] = TinyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["sandbox:profiles:tiny:stderrMaxBytes"] = TinyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    /// <summary>
    /// A file in a fresh temp directory that anyone may read (0755 directory, 0644 file), so that only the
    /// sandbox can keep a child out of it.
    /// </summary>
    private sealed class WorldReadableFile : IDisposable
    {
        private readonly string _directory;

        public WorldReadableFile(string content)
        {
            Content = content;
            _directory = Directory.CreateTempSubdirectory("carapace-shell-test-").FullName;
            File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
            Path = System.IO.Path.Combine(_directory, "file");
            File.WriteAllText(Path, content);
            File.SetUnixFileMode(Path, (UnixFileMode)0b110_100_100);
        }

        public string Content { get; }

        public string Path { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
