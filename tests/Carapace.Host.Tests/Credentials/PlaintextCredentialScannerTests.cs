using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Credentials;

public sealed class PlaintextCredentialScannerTests : IDisposable
{
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CredentialSafetyReport Scan(bool tighten = true) =>
        new PlaintextCredentialScanner(_dir.State, new CredentialOptions { TightenPermissions = tighten },
            NullLogger<PlaintextCredentialScanner>.Instance).Scan();

    [Theory]
    [InlineData("credentials.json", """{"token":"abc123"}""")]
    [InlineData("creds.json", """{"profiles":[{"name":"x","access_token":"abc"}]}""")]
    [InlineData("credentials/oauth.json", """{"refresh_token":"r"}""")]
    [InlineData("agents/main/agent/auth-profiles.json", """{"providers":{"openai":{"apiKey":"sk-1"}}}""")]
    [InlineData("telegram-pairing.json", """{"secret":"s"}""")]
    [InlineData("gateway.token", "abcdef\n")]
    [InlineData("credentials.json", "not json at all")]
    [InlineData("credentials.json", """{"pin":1,"token":123456}""")]
    [InlineData("secrets.json", """{"passwords":["hunter2","hunter3"]}""")]
    [InlineData("auth.json", """{"apiKey":[42]}""")]
    [InlineData("creds.json", """{"profiles":[{"refresh_tokens":["", "r"]}]}""")]
    public void Plaintext_credential_shapes_refuse_start_naming_file_and_fix(string relative, string content)
    {
        var path = _dir.Write(relative, content);

        var report = Scan();

        Assert.True(report.RefusesStart);
        var finding = Assert.Single(report.Findings, f => f.Kind == StateFindingKind.PlaintextCredential);
        Assert.Equal(path, finding.Path);
        Assert.Contains(path, report.Describe(), StringComparison.Ordinal);
        Assert.Contains("cara credentials set", report.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("credentials.json", """{"token":"enc:v2:a:b:c","name":"x"}""")]
    [InlineData("auth-profiles.json", """{"providers":{"openai":{"model":"gpt"}}}""")]
    [InlineData("empty.token", "   ")]
    [InlineData("plugins/weather/credentials.json", """{"token":"shipped-by-a-plugin"}""")]
    [InlineData("config.json", """{"password":"not a credential file name"}""")]
    [InlineData("credentials.json", """{"tokens":[],"password":null,"secret":true,"apiKeys":["enc:v2:a:b:c"],"count":3}""")]
    public void Envelopes_metadata_and_other_files_pass(string relative, string content)
    {
        _dir.Write(relative, content);

        Assert.DoesNotContain(Scan().Findings, f => f.Kind == StateFindingKind.PlaintextCredential);
    }

    [Fact]
    public async Task Carapace_own_files_pass()
    {
        var store = StoreFactory.Create(_dir, new InMemoryCredentialBackend(), new RecordingAuditLog());
        await store.SetAsync(CredentialKey.Parse("gateway:token:default"), "v", CancellationToken.None);
        await store.SetAsync(CredentialKey.Parse("gateway:password:default"), "v", CancellationToken.None);

        Assert.False(Scan().RefusesStart);
    }

    [Fact]
    public void Wide_permissions_are_tightened_and_reported()
    {
        var file = _dir.Write("credentials/index.json", "{}", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var helper = _dir.Write("bin/helper", "#!/bin/sh", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(_dir.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        var report = Scan();

        Assert.False(report.RefusesStart);
        Assert.Equal(Mode600, File.GetUnixFileMode(file));
        Assert.Equal(Mode600 | UnixFileMode.UserExecute, File.GetUnixFileMode(helper));
        Assert.Equal(Mode600 | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir.Root));
        Assert.Contains(report.Findings, f => f.Path == file && f.Kind == StateFindingKind.PermissionsTightened && f.Problem.Contains("0644", StringComparison.Ordinal));
        Assert.Contains(report.Findings, f => f.Path == _dir.Root && f.Kind == StateFindingKind.PermissionsTightened);
    }

    [Fact]
    public void Wide_permissions_refuse_start_when_tightening_is_off()
    {
        var file = _dir.Write("audit.jsonl", "{}", Mode600 | UnixFileMode.OtherRead);

        var report = Scan(tighten: false);

        Assert.True(report.RefusesStart);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(StateFindingKind.InsecurePermissions, finding.Kind);
        Assert.Contains("chmod 600", finding.Fix, StringComparison.Ordinal);
        Assert.Equal(Mode600 | UnixFileMode.OtherRead, File.GetUnixFileMode(file));
    }

    [Fact]
    public void Symlinks_are_not_followed_or_changed()
    {
        var outside = Path.Combine(Path.GetTempPath(), "carapace-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, """{"token":"abc"}""");
        File.SetUnixFileMode(outside, Mode600 | UnixFileMode.OtherRead);
        try
        {
            File.CreateSymbolicLink(Path.Combine(_dir.Root, "linked.json"), outside);

            Assert.Empty(Scan().Findings);
            Assert.Equal(Mode600 | UnixFileMode.OtherRead, File.GetUnixFileMode(outside));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Theory]
    [InlineData("credentials.json")]
    [InlineData("gateway.token")]
    [InlineData("auth-profiles.json")]
    public void Symlink_named_like_a_credential_file_refuses_start_without_being_followed(string name)
    {
        var outside = Path.Combine(Path.GetTempPath(), "carapace-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, """{"token":"abc"}""");
        File.SetUnixFileMode(outside, Mode600 | UnixFileMode.OtherRead);
        try
        {
            var link = Path.Combine(_dir.Root, "credentials", name);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, outside);

            var report = Scan();

            Assert.True(report.RefusesStart);
            var finding = Assert.Single(report.Findings, f => f.Kind == StateFindingKind.PlaintextCredential);
            Assert.Equal(link, finding.Path);
            Assert.Contains("symbolic link", finding.Problem, StringComparison.Ordinal);
            Assert.Contains(link, report.Describe(), StringComparison.Ordinal);
            Assert.Equal(Mode600 | UnixFileMode.OtherRead, File.GetUnixFileMode(outside));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void Symlinks_inside_plugins_are_left_alone()
    {
        var outside = Path.Combine(Path.GetTempPath(), "carapace-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, """{"token":"abc"}""");
        try
        {
            Directory.CreateDirectory(Path.Combine(_dir.Root, "plugins", "weather"));
            File.CreateSymbolicLink(Path.Combine(_dir.Root, "plugins", "weather", "credentials.json"), outside);

            Assert.DoesNotContain(Scan().Findings, f => f.Kind == StateFindingKind.PlaintextCredential);
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
