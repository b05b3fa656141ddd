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

    [Fact]
    public async Task Local_paths_that_are_not_packages_are_422_problems_promptly_never_a_hang_or_a_500()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        client.Timeout = TimeSpan.FromSeconds(30);
        var fifo = Path.Combine(_dir.Path, "pipe.zip");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var directoryZip = Path.Combine(_dir.Path, "dir.zip");
        Directory.CreateDirectory(directoryZip);
        var loop = Path.Combine(_dir.Path, "loop.zip");
        File.CreateSymbolicLink(loop, loop);

        // The FIFO first: if it hung while holding the installer's lock, every later request would hang too.
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { path = fifo }),
            HttpStatusCode.UnprocessableEntity, "package_special_file");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { path = "/dev/zero" }),
            HttpStatusCode.UnprocessableEntity, "package_special_file");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { path = loop }),
            HttpStatusCode.UnprocessableEntity, "package_io_error");
        if (File.Exists("/sys/bus/pci/rescan"))
        {
            // Write-only sysfs attribute: even root gets EACCES on a read open (chmod 000 does not stop root).
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { path = "/sys/bus/pci/rescan" }),
                HttpStatusCode.UnprocessableEntity, "package_unreadable");
        }

        // A directory is a directory package: refused for what it lacks, not a crash.
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/plugins/install", new { path = directoryZip }),
            HttpStatusCode.UnprocessableEntity, "package_manifest_missing");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/control/plugins/install", new { path = FixturePackage.Zip(_dir.Path, _key) })).StatusCode);
        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.PluginInstallRefused) >= 4, "plugin_install_refused events");
        Assert.Contains(events, e => e.GetProperty("event").GetString() == AuditEvents.PluginInstallRefused
                                     && e.GetProperty("data").GetProperty("reason").GetString() == "package_special_file"
                                     && e.GetProperty("data").GetProperty("source").GetString() == fifo);
    }

    [Fact]
    public async Task Refusals_updates_and_load_time_signature_failures_are_in_the_audit_log_with_their_codes()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        var slip = Path.Combine(_dir.Path, "slip.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(slip, System.IO.Compression.ZipArchiveMode.Create))
        {
            archive.CreateEntry("../../outside.dll");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key)))).StatusCode);
        await ProblemAssert.IsProblemAsync(
            await client.PostAsync("/control/plugins/install", Upload(FixturePackage.Zip(_dir.Path, _key, edit: d => File.AppendAllText(Path.Combine(d, "plugin.yaml"), "description: other\n")))),
            HttpStatusCode.Conflict, "sha256_changed");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/install", Upload(slip)),
            HttpStatusCode.UnprocessableEntity, "package_path_traversal");
        // Activation fails (the configSchema requires a key the configuration lacks): refused, audited.
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/update",
                Upload(FixturePackage.Zip(_dir.Path, _key, version: "1.5.0", edit: d => File.AppendAllText(Path.Combine(d, "plugin.yaml"), "  required: [mandatory]\n")))),
            HttpStatusCode.UnprocessableEntity, "plugin_activation_failed");
        var updated = await client.PostAsync("/control/plugins/update", Upload(FixturePackage.Zip(_dir.Path, _key, version: "2.0.0")));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        // The operator stops trusting the publisher; the next load (a reload) verifies again and refuses.
        using var other = SigningKey.Generate();
        gateway.Service<Microsoft.Extensions.Configuration.IConfiguration>()["plugins:signature:trustedPublishers:0"] = other.PublicKey.Hex;
        var reload = await client.PostAsync("/control/plugins/good-tool/reload", null);
        Assert.False(reload.IsSuccessStatusCode, await reload.Content.ReadAsStringAsync());

        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Count(AuditEvents.PluginInstallRefused) == 3 && e.Count(AuditEvents.PluginUpdated) == 1 && e.Count(AuditEvents.PluginSignatureFailed) == 1,
            "refusals, the update and the load-time signature failure in the audit log");
        var data = (string name) => events.Where(e => e.GetProperty("event").GetString() == name).Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(["sha256_changed", "package_path_traversal", "plugin_activation_failed"],
            data(AuditEvents.PluginInstallRefused).Select(d => d.GetProperty("reason").GetString()));
        var update = Assert.Single(data(AuditEvents.PluginUpdated));
        Assert.Equal(("good-tool", "2.0.0", "1.0.0"), (update.GetProperty("plugin_id").GetString(), update.GetProperty("version").GetString(),
            update.GetProperty("previous_version").GetString()));
        var signature = Assert.Single(data(AuditEvents.PluginSignatureFailed));
        Assert.Equal(("good-tool", "load", "signature_untrusted_publisher"), (signature.GetProperty("plugin_id").GetString(),
            signature.GetProperty("at").GetString(), signature.GetProperty("reason").GetString()));
    }
}
