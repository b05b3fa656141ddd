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
}
