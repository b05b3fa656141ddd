using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Host.Audit;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Host.Tests.Api;

/// <summary>
/// <c>POST /control/plugins/install|update</c>, <c>DELETE /control/plugins/{id}</c> and
/// <c>GET /control/doctor/plugins</c> on the real gateway, with real packages built from the fixtures.
/// </summary>
public sealed class PluginInstallApiTests : IDisposable
{
    private const string Token = "plugin-install-token";
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = SigningKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _dir.Dispose();
    }

    private Task<GatewayFixture> StartAsync() => GatewayFixture.StartAsync(
        $"plugins:\n  signature:\n    trustedPublishers: [\"{_key.PublicKey.Hex}\"]\n",
        new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });

    private static MultipartFormDataContent Upload(string zip, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var file = new ByteArrayContent(File.ReadAllBytes(zip));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(file, "package", Path.GetFileName(zip));
        return form;
    }

    [Fact]
    public async Task Uploaded_package_is_installed_active_and_invocable_through_the_gateway_and_audited()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var response = await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var body = JsonDocument.Parse(text).RootElement;
        var invoke = await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "managed" });
        var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/good-tool")).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("installed", body.GetProperty("action").GetString());
        Assert.Equal("verified", body.GetProperty("signature").GetString());
        Assert.Equal("active", body.GetProperty("plugin").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, invoke.StatusCode);
        Assert.Contains("managed", await invoke.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("managed", plugin.GetProperty("source").GetString());
        var managed = plugin.GetProperty("managed");
        Assert.Equal(body.GetProperty("sha256").GetString(), managed.GetProperty("sha256").GetString());
        Assert.Equal(_key.PublicKey.Hex, managed.GetProperty("publisher").GetString());
        Assert.Equal("verified", managed.GetProperty("signature").GetString());
        Assert.False(managed.GetProperty("allowUnvetted").GetBoolean());
        Assert.Equal(0, managed.GetProperty("findingCount").GetInt32());
        Assert.StartsWith("upload:", managed.GetProperty("installedFrom").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(gateway.StateDir, "plugins", "plugins-lock.yaml")));
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Count(AuditEvents.PluginInstalled) == 1 && e.Count(AuditEvents.PluginSignatureVerified) == 1, "plugin_installed in the audit log");
        var installed = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.PluginInstalled).GetProperty("data");
        Assert.Equal("good-tool", installed.GetProperty("plugin_id").GetString());
        Assert.Equal(body.GetProperty("sha256").GetString(), installed.GetProperty("sha256").GetString());
        Assert.Equal("127.0.0.1", installed.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task A_local_path_is_installed_from_loopback_and_refused_from_any_other_address()
    {
        await using var gateway = await StartAsync();
        using var local = gateway.Client(Token);
        using var remote = gateway.RemoteClient(Token);
        var zip = FixturePackage.Zip(_dir.Path, _key);

        var refused = await remote.PostAsJsonAsync("/control/plugins/install", new { path = zip });
        var relative = await local.PostAsJsonAsync("/control/plugins/install", new { path = "good.zip" });
        var accepted = await local.PostAsJsonAsync("/control/plugins/install", new { path = zip });

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "install_path_requires_loopback");
        await ProblemAssert.IsProblemAsync(relative, HttpStatusCode.BadRequest, "install_path_not_absolute");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(zip, JsonDocument.Parse(await local.GetStringAsync("/control/plugins/good-tool")).RootElement
            .GetProperty("managed").GetProperty("installedFrom").GetString());
    }

    [Fact]
    public async Task Refusals_are_problems_with_specific_codes_and_are_audited()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        using var stranger = SigningKey.Generate();
        var slip = Path.Combine(_dir.Path, "slip.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(slip, System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("plugin.yaml").Open()))
            {
                await writer.WriteAsync("id: slip\n");
            }

            archive.CreateEntry("../../outside.dll");
        }

        var vetting = await ProblemAssert.IsProblemAsync(
            await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key, "spawning-tool"))),
            HttpStatusCode.UnprocessableEntity, "vetting_refused");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, stranger))),
            HttpStatusCode.UnprocessableEntity, "signature_untrusted_publisher");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/install", Upload(slip)),
            HttpStatusCode.UnprocessableEntity, "package_path_traversal");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/update", Upload(FixturePackage.Zip(_dir.Path, _key))),
            HttpStatusCode.NotFound, "plugin_not_installed");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/install", new StringContent("x")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { link = true }),
            HttpStatusCode.BadRequest, "invalid_request");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key), ("yes", "maybe"))),
            HttpStatusCode.BadRequest, "invalid_request");
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/control/plugins/good-tool"), HttpStatusCode.NotFound, "plugin_not_installed");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)))).StatusCode);
        await ProblemAssert.IsProblemAsync(
            await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key, edit: d => File.AppendAllText(Path.Combine(d, "plugin.yaml"), "description: other\n")))),
            HttpStatusCode.Conflict, "sha256_changed");

        var finding = vetting.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("api").GetString()!.StartsWith("System.Diagnostics.Process.Start", StringComparison.Ordinal));
        Assert.Contains("SpawnTool.InvokeAsync", finding.GetProperty("method").GetString(), StringComparison.Ordinal);
        await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Count(AuditEvents.PluginVettingRefused) == 1 && e.Count(AuditEvents.PluginSignatureFailed) == 1, "refusals in the audit log");
    }

    [Fact]
    public async Task Uninstall_dry_run_changes_nothing_then_uninstall_unloads_and_removes_and_is_audited()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)))).StatusCode);

        var dry = JsonDocument.Parse(await (await client.DeleteAsync("/control/plugins/good-tool?dryRun=true")).Content.ReadAsStringAsync()).RootElement;
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "still" })).StatusCode);
        var removed = await client.DeleteAsync("/control/plugins/good-tool");
        var body = JsonDocument.Parse(await removed.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal("unloaded", body.GetProperty("plugin").GetProperty("state").GetString());
        Assert.True(body.GetProperty("plugin").GetProperty("unloadMs").GetDouble() > 0);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/plugins/good-tool"), HttpStatusCode.NotFound, "plugin_not_found");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "gone" }), HttpStatusCode.NotFound, "tool_not_found");
        Assert.False(Directory.Exists(Path.Combine(gateway.StateDir, "plugins", "good-tool")));
        Assert.DoesNotContain("good-tool", await File.ReadAllTextAsync(Path.Combine(gateway.StateDir, "plugins", "plugins-lock.yaml")), StringComparison.Ordinal);
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.PluginUninstalled) == 1 && e.Count(AuditEvents.PluginUnloaded) == 1,
            "plugin_uninstalled in the audit log");
    }

    [Fact]
    public async Task Install_accepts_packages_over_the_control_body_cap_and_refuses_bodies_over_its_own_cap()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        // 1 MiB of random bytes does not compress: the archive is far over the 256 KiB control-route cap.
        var zip = FixturePackage.Zip(_dir.Path, _key, edit: d => File.WriteAllBytes(Path.Combine(d, "blob.bin"), RandomNumberGenerator.GetBytes(1024 * 1024)));
        Assert.True(new FileInfo(zip).Length > 512 * 1024);

        var large = await client.PostAsync("/control/plugins/install", Upload(zip));
        var tooLarge = await RawHttp.SendAsync(gateway.BaseAddress,
            "POST /control/plugins/install HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Token +
            "\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: " + (Carapace.Host.Api.PluginInstallApi.UploadLimit + 1) +
            "\r\nConnection: close\r\n\r\n");

        Assert.Equal(HttpStatusCode.OK, large.StatusCode);
        Assert.Equal(413, tooLarge.Status);
        Assert.Contains("payload_too_large", tooLarge.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_needs_credentials_and_refuses_a_cross_site_origin()
    {
        await using var gateway = await StartAsync();
        using var anonymous = gateway.Client();
        using var client = gateway.Client(Token);
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/control/plugins/install") { Content = Upload(FixturePackage.Zip(_dir.Path, _key)) };
        forged.Headers.Add("Origin", "http://evil.example");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)))).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SendAsync(forged), HttpStatusCode.Forbidden, "csrf_origin_mismatch");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("/control/plugins/good-tool")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(gateway.StateDir, "plugins", "good-tool")));
    }

    [Fact]
    public async Task Doctor_reports_healthy_then_the_digest_mismatch_of_a_tampered_install()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)))).StatusCode);

        var healthy = JsonDocument.Parse(await client.GetStringAsync("/control/doctor/plugins")).RootElement;
        await File.AppendAllTextAsync(Path.Combine(gateway.StateDir, "plugins", "good-tool", "1.0.0", "GoodToolPlugin.deps.json"), " ");
        var tampered = JsonDocument.Parse(await client.GetStringAsync("/control/doctor/plugins")).RootElement;

        Assert.True(healthy.GetProperty("healthy").GetBoolean(), healthy.ToString());
        Assert.False(tampered.GetProperty("healthy").GetBoolean());
        var plugin = tampered.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "good-tool");
        Assert.Contains(plugin.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "integrity_digest_mismatch");
    }
}
