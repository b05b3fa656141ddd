using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;

namespace Carapace.Plugins.Tests.Install;

public sealed class PluginDoctorTests
{
    [Fact]
    public async Task Healthy_install_reports_the_verified_signature_and_overrides_are_warnings()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        await managed.InstallAsync(managed.Package("spawning-tool"), allowUnvetted: true);

        var report = managed.Harness.Service<PluginDoctor>().Examine();

        Assert.True(report.Healthy, string.Join("; ", report.Plugins.SelectMany(p => p.Findings)));
        var good = Assert.Single(report.Plugins, p => p.Id == "good-tool");
        Assert.Equal(("managed", "verified", managed.Key.PublicKey.Hex), (good.Source, good.Signature, good.Publisher));
        var spawning = Assert.Single(report.Plugins, p => p.Id == "spawning-tool");
        Assert.True(spawning.AllowUnvetted);
        Assert.Contains(spawning.Findings, f => f is { Code: "vetting_findings", Severity: DoctorFinding.Warning });
    }

    [Fact]
    public async Task Tampered_files_a_removed_publisher_and_failed_plugins_are_errors()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var installed = (await managed.InstallAsync(managed.Package())).Plugin!.Directory;
        File.AppendAllText(Path.Combine(installed, "GoodToolPlugin.deps.json"), " ");

        var tampered = managed.Harness.Service<PluginDoctor>().Examine();
        await managed.RestartAsync();
        var failed = managed.Harness.Service<PluginDoctor>().Examine();

        Assert.False(tampered.Healthy);
        Assert.Contains(Assert.Single(tampered.Plugins, p => p.Id == "good-tool").Findings, f => f.Code == IntegrityCodes.DigestMismatch);
        var entry = Assert.Single(failed.Plugins, p => p.Id == "good-tool");
        Assert.Equal("failed", entry.State);
        Assert.Contains(entry.Findings, f => f.Code == "state_failed");
    }

    [Fact]
    public async Task A_removed_trusted_publisher_an_abi_incompatible_plugin_and_a_leaked_plugin_are_reported_as_errors()
    {
        await using var managed = await ManagedHarness.StartAsync(
            pluginPaths: [Carapace.Testing.PluginHarness.RuntimeHarness.PluginDirectory("newer-abi"), Carapace.Testing.PluginHarness.RuntimeHarness.PluginDirectory("leaky")],
            configure: o => o.UnloadGcIterations = 4);
        await managed.InstallAsync(managed.Package());
        Assert.Equal("plugin_leaked", (await managed.Runtime.DisableAsync("leaky")).Code);
        using var other = Carapace.Plugins.Signing.SigningKey.Generate();
        // The operator replaces the trusted key: the installed package's publisher is no longer trusted.
        managed.Harness.Configuration["plugins:signature:trustedPublishers:0"] = other.PublicKey.Hex;

        var report = managed.Harness.Service<PluginDoctor>().Examine();

        Assert.False(report.Healthy);
        var good = Assert.Single(report.Plugins, p => p.Id == "good-tool");
        Assert.Contains(good.Findings, f => f is { Code: Carapace.Plugins.Signing.SigningErrorCodes.UntrustedPublisher, Severity: DoctorFinding.Error });
        var abi = Assert.Single(report.Plugins, p => p.Id == "newer-abi");
        Assert.Contains(abi.Findings, f => f is { Code: InstallCodes.AbiIncompatible, Severity: DoctorFinding.Error });
        var leaky = Assert.Single(report.Plugins, p => p.Id == "leaky");
        Assert.Contains(leaky.Findings, f => f is { Code: "state_leaked", Severity: DoctorFinding.Error });

        // The same check runs at every load: a reload now refuses it and reports the signature failure.
        var reload = await managed.Runtime.ReloadAsync("good-tool");
        Assert.False(reload.Succeeded);
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: Carapace.Plugins.Services.PluginLifecycleEventKind.SignatureFailed }
                                                          && e.Data["at"] == "load" && e.Data["reason"] == Carapace.Plugins.Signing.SigningErrorCodes.UntrustedPublisher);
    }
}
