using Carapace.Abstractions;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace Carapace.Sandbox.Tests.Configuration;

public sealed class ProfileTests
{
    private static ServiceProvider Services(Dictionary<string, string?> config, ISandboxBroker? broker = null, ISandboxEventSink? sink = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();
        var services = new ServiceCollection().AddLogging();
        if (sink is not null)
        {
            services.AddSingleton(sink);
        }

        services.AddCarapaceSandbox(configuration);
        if (broker is not null)
        {
            services.AddSingleton(broker);
        }

        return services.BuildServiceProvider();
    }

    [Fact]
    public void Built_in_default_profile_is_tight()
    {
        using var sp = Services([]);
        var profiles = sp.GetRequiredService<SandboxProfiles>();

        Assert.True(profiles.TryGet("default", out var p));
        var request = SandboxProfiles.ToRequest("default", p, new SandboxCommand("default", "/bin/true", []), "plugin:x");

        Assert.Equal(SandboxProfiles.SystemRoots.Where(Path.Exists), request.ReadOnlyRoots);
        Assert.DoesNotContain("/proc", request.ReadOnlyRoots);
        Assert.DoesNotContain("/tmp", request.ReadOnlyRoots.Concat(request.ReadWriteRoots));
        Assert.Empty(request.ReadWriteRoots); // only the private scratch dir, added per run
        Assert.Equal(SandboxNetworkMode.None, request.Network.Mode);
        Assert.Equal(10, request.Limits.CpuSeconds);
        Assert.Equal(64, request.Limits.Processes);
        Assert.Null(request.Limits.AddressSpaceBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), request.Timeout);
    }

    [Fact]
    public void Profiles_bind_from_camel_case_configuration()
    {
        using var sp = Services(new()
        {
            ["sandbox:profiles:web:network"] = "ports",
            ["sandbox:profiles:web:connectPorts:0"] = "443",
            ["sandbox:profiles:web:readOnlyRoots:0"] = "/opt/tools",
            ["sandbox:profiles:web:includeSystemRoots"] = "false",
            ["sandbox:profiles:web:cpuSeconds"] = "3",
            ["sandbox:profiles:web:addressSpaceMb"] = "2048",
            ["sandbox:profiles:web:timeoutSeconds"] = "30",
            ["sandbox:profiles:web:envAllowlist:0"] = "LC_ALL",
        });
        var profiles = sp.GetRequiredService<SandboxProfiles>();

        Assert.True(profiles.TryGet("web", out var p));
        var request = SandboxProfiles.ToRequest("web", p, new SandboxCommand("web", "/opt/tools/x", []) { Timeout = TimeSpan.FromMinutes(5) }, null);

        Assert.Equal(["/opt/tools"], request.ReadOnlyRoots);
        Assert.Equal(SandboxNetwork.TcpConnect(443).ConnectPorts, request.Network.ConnectPorts);
        Assert.Equal(3, request.Limits.CpuSeconds);
        Assert.Equal(2048L * 1024 * 1024, request.Limits.AddressSpaceBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), request.Timeout); // a command cannot extend the profile's timeout
        Assert.Contains("LC_ALL", request.EnvironmentAllowlist);
    }

    [Fact]
    public void Invalid_profiles_fail_validation_naming_the_key()
    {
        using var sp = Services(new()
        {
            ["sandbox:profiles:bad:network"] = "everything",
            ["sandbox:profiles:bad:readOnlyRoots:0"] = "relative/path",
            ["sandbox:profiles:bad:processes"] = "0",
        });

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SandboxOptions>>().Value);

        Assert.Contains(e.Failures, f => f.StartsWith("sandbox:profiles:bad:network:", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("'relative/path' is not an absolute path", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("sandbox:profiles:bad:processes:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("stdoutMaxBytes", "0", "sandbox:profiles:p:stdoutMaxBytes: 0 is not in [1, 67108864] bytes (64 MiB)")]
    [InlineData("stdoutMaxBytes", "-1", "sandbox:profiles:p:stdoutMaxBytes: -1 is not in [1, 67108864] bytes (64 MiB)")]
    [InlineData("stderrMaxBytes", "67108865", "sandbox:profiles:p:stderrMaxBytes: 67108865 is not in [1, 67108864] bytes (64 MiB)")]
    [InlineData("timeoutSeconds", "0", "sandbox:profiles:p:timeoutSeconds: 0 is not in (0, 86400] seconds")]
    [InlineData("timeoutSeconds", "-3", "sandbox:profiles:p:timeoutSeconds: -3 is not in (0, 86400] seconds")]
    [InlineData("timeoutSeconds", "86401", "sandbox:profiles:p:timeoutSeconds: 86401 is not in (0, 86400] seconds")]
    [InlineData("timeoutSeconds", "NaN", "sandbox:profiles:p:timeoutSeconds: NaN is not in (0, 86400] seconds")]
    public void Output_caps_and_timeouts_out_of_bounds_fail_validation_naming_the_key(string key, string value, string expected)
    {
        using var sp = Services(new() { [$"sandbox:profiles:p:{key}"] = value });

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<SandboxOptions>>().Value);

        Assert.Equal(expected, Assert.Single(e.Failures));
    }

    [Theory]
    [InlineData("stdoutMaxBytes", "1")]
    [InlineData("stderrMaxBytes", "67108864")]
    [InlineData("timeoutSeconds", "0.5")]
    [InlineData("timeoutSeconds", "86400")]
    public void Bounds_themselves_are_accepted(string key, string value)
    {
        using var sp = Services(new() { [$"sandbox:profiles:p:{key}"] = value });

        Assert.NotNull(sp.GetRequiredService<IOptions<SandboxOptions>>().Value);
    }

    [Fact]
    public async Task Plugin_cannot_use_a_profile_it_was_not_granted()
    {
        var broker = Substitute.For<ISandboxBroker>();
        var sink = new RecordingSink();
        using var sp = Services([], broker, sink);
        var sandbox = sp.GetRequiredService<IPluginSandboxFactory>().Create("shell", ["default"]);

        var e = await Assert.ThrowsAsync<CapabilityDeniedException>(() => sandbox.RunAsync(new SandboxCommand("admin", "/bin/true", []), default));

        Assert.Equal("shell", e.PluginId);
        Assert.Equal("subprocess", e.Capability);
        Assert.Contains("'admin' is not granted", e.Reason, StringComparison.Ordinal);
        Assert.Single(sink.Events);
        await broker.DidNotReceiveWithAnyArgs().RunAsync(default!, default);
    }

    [Fact]
    public async Task Plugin_with_a_granted_profile_runs_under_that_profile()
    {
        var broker = Substitute.For<ISandboxBroker>();
        SandboxRequest? seen = null;
        broker.RunAsync(Arg.Do<SandboxRequest>(r => seen = r), Arg.Any<CancellationToken>())
            .Returns(new SandboxResult(0, default, default, false, false, false, TimeSpan.Zero));
        using var sp = Services([], broker);
        var sandbox = sp.GetRequiredService<IPluginSandboxFactory>().Create("shell", ["default"]);

        await sandbox.RunAsync(new SandboxCommand("default", "/bin/echo", ["hi"]) { Environment = new Dictionary<string, string> { ["X"] = "1" } }, default);

        Assert.NotNull(seen);
        Assert.Equal("plugin:shell", seen.Caller);
        Assert.Equal("default", seen.Profile);
        Assert.Empty(seen.EnvironmentAllowlist); // the default profile lets no caller variable through
        Assert.Equal(["hi"], seen.Arguments);
    }

    [Fact]
    public async Task Granted_but_undefined_profile_is_refused_as_unavailable()
    {
        var broker = Substitute.For<ISandboxBroker>();
        using var sp = Services([], broker);
        var sandbox = sp.GetRequiredService<IPluginSandboxFactory>().Create("shell", ["ghost"]);

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => sandbox.RunAsync(new SandboxCommand("ghost", "/bin/true", []), default));

        Assert.Contains("'ghost' is granted but not defined", e.Reason, StringComparison.Ordinal);
    }
}
