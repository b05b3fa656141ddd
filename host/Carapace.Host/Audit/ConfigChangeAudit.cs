using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Host.Configuration;
using Carapace.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Audit;

/// <summary>
/// <c>config_changed</c>, from the two places configuration really changes:
/// <list type="bullet">
/// <item><c>cara config encrypt KEY</c>, the only code that rewrites <c>carapace.yaml</c>:
/// <c>{key_path, path, actor: "cli", method: "encrypt"}</c>, never the value;</item>
/// <item>a gateway start whose configuration file differs from the one the previous start ran
/// (edited by hand, replaced, removed, or another file): <c>{path, old_path?, old_sha256, new_sha256,
/// method: "startup"}</c>. The previous start's file and SHA-256 are kept in
/// <c>&lt;state&gt;/config-fingerprint.json</c>. Without that record (the first start, or the record was
/// deleted or damaged) the event is written with <c>old_sha256: null</c>, so the audit log alone always
/// shows which configuration a gateway started with, and deleting the record cannot hide a change.</item>
/// </list>
/// </summary>
internal static class ConfigChangeAudit
{
    public const string FingerprintFile = "config-fingerprint.json";

    public static void Sealed(IAuditLog audit, string path, string dottedKey) =>
        audit.Write(AuditEvents.ConfigChanged, new Dictionary<string, object?>
        {
            ["key_path"] = dottedKey,
            ["path"] = path,
            ["actor"] = "cli",
            ["method"] = "encrypt",
        });

    /// <summary>
    /// For a short-lived process (<c>cara</c>): writes <see cref="Sealed"/> to the state directory's audit log
    /// and waits until it is on disk. False when it could not be written.
    /// </summary>
    public static async Task<bool> WriteSealedAsync(StateDirectory state, string path, string dottedKey)
    {
        state.EnsureCreated();
        var audit = new FileAuditLog(state.AuditLogPath, TimeProvider.System, null, NullLogger<FileAuditLog>.Instance);
        Sealed(audit, path, dottedKey);
        await audit.DisposeAsync();
        return audit.PendingDropped == 0;
    }

    /// <summary>Compares the configuration file with the previous start's, audits a difference, and records this one.</summary>
    public static void AtStartup(IAuditLog audit, StateDirectory state, LoadedConfiguration config, ILogger log)
    {
        var recordPath = Path.Combine(state.Root, FingerprintFile);
        var previous = ReadRecord(recordPath, log);
        var current = new Fingerprint(config.FilePath, config.FileSha256);
        if (previous == current)
        {
            return;
        }

        if (previous is not null || current.Sha256 is not null)
        {
            audit.Write(AuditEvents.ConfigChanged, new Dictionary<string, object?>
            {
                ["path"] = current.Path ?? previous?.Path,
                ["old_path"] = previous is not null && previous.Path != current.Path ? previous.Path : null,
                ["old_sha256"] = previous?.Sha256,
                ["new_sha256"] = current.Sha256,
                ["method"] = "startup",
            });
            log.LogInformation("Configuration changed since the previous start: {Path} SHA-256 {Old} -> {New}",
                current.Path ?? previous?.Path ?? "(built-in defaults)", previous?.Sha256 ?? "(none recorded)", current.Sha256 ?? "(no file)");
        }

        try
        {
            var json = new JsonObject { ["path"] = current.Path, ["sha256"] = current.Sha256 };
            AtomicFile.WriteAllText(recordPath, json.ToJsonString());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Cannot record the configuration fingerprint in {Path}: {Error}; the next start will audit it again", recordPath, ex.Message);
        }
    }

    private static Fingerprint? ReadRecord(string path, ILogger log)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var bytes = CappedFile.ReadAllBytes(path, 64 * 1024) ?? throw new JsonException("the record is too large");
            var json = JsonNode.Parse(bytes)?.AsObject() ?? throw new JsonException("the record is empty");
            return new Fingerprint(json["path"]?.GetValue<string>(), json["sha256"]?.GetValue<string>());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            log.LogWarning("Ignoring the damaged configuration fingerprint {Path}: {Error}", path, ex.Message);
            return null;
        }
    }

    private sealed record Fingerprint(string? Path, string? Sha256);
}
