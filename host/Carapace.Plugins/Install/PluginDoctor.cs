using Carapace.Plugins.Lock;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Signing;

namespace Carapace.Plugins.Install;

/// <summary>One thing the doctor found; <see cref="Severity"/> is <c>error</c> (unhealthy) or <c>warning</c>.</summary>
internal sealed record DoctorFinding(string Code, string Severity, string Message)
{
    public const string Error = "error";
    public const string Warning = "warning";

    public bool IsError => Severity == Error;
}

/// <summary>The doctor's view of one plugin.</summary>
internal sealed record PluginDoctorEntry(
    string Id,
    string Source,
    string State,
    string? Version,
    string? Signature,
    string? Publisher,
    int FindingCount,
    bool AllowUnvetted,
    IReadOnlyList<DoctorFinding> Findings)
{
    public bool Healthy => !Findings.Any(f => f.IsError);
}

/// <summary>What <c>cara plugins doctor</c> prints; <see cref="Healthy"/> decides its exit code.</summary>
internal sealed record DoctorReport(IReadOnlyList<DoctorFinding> General, IReadOnlyList<PluginDoctorEntry> Plugins)
{
    public bool Healthy => !General.Any(f => f.IsError) && Plugins.All(p => p.Healthy);
}

/// <summary>
/// Checks every plugin again, now, without changing anything: its state (failed, faulted, leaked),
/// ABI compatibility of its manifest, directory safety, and for managed plugins the lock entry against
/// what runs and what is on disk (digest, signature file, signature policy, trusted publisher),
/// overrides in use (<c>--allow-unsigned</c>, <c>--allow-unvetted</c> with its findings), and debris in the
/// managed tree. Errors make the report unhealthy; warnings are operator decisions worth seeing.
/// </summary>
internal sealed class PluginDoctor(PluginRuntime runtime, ManagedPluginStore store, PluginInstaller installer)
{
    public DoctorReport Examine()
    {
        var general = new List<DoctorFinding>();
        PluginLock? pluginLock = null;
        SignaturePolicy? policy = null;
        if (store.IsEnabled)
        {
            if (store.StartupLockError is { } startup)
            {
                general.Add(Error(InstallCodes.LockInvalid, $"at start the lock file could not be read, so no managed plugin was loaded: {startup}"));
            }

            try
            {
                pluginLock = store.ReadLock();
            }
            catch (PluginLockException ex)
            {
                general.Add(Error(InstallCodes.LockInvalid, ex.Message));
            }

            (policy, var policyError) = store.ReadPolicy();
            if (policyError is not null)
            {
                general.Add(Error(InstallCodes.PolicyInvalid, $"{policyError}; no managed plugin can be verified"));
            }

            general.AddRange(Debris(pluginLock));
        }

        var plugins = runtime.List();
        var entries = plugins.Select(p => Examine(p, pluginLock, policy)).ToList();
        foreach (var entry in pluginLock?.Plugins ?? [])
        {
            if (!plugins.Any(p => p.Id == entry.Id))
            {
                general.Add(Error("lock_entry_not_loaded", $"'{entry.Id}' {entry.Version} is in {PluginLockFile.FileName} but the runtime has no such plugin"));
            }
        }

        return new DoctorReport(general, entries);
    }

    private PluginDoctorEntry Examine(PluginInfo plugin, PluginLock? pluginLock, SignaturePolicy? policy)
    {
        var findings = new List<DoctorFinding>();
        switch (plugin.State)
        {
            case "failed" or "faulted":
                findings.Add(Error($"state_{plugin.State}", plugin.Reason ?? plugin.LastError ?? plugin.State));
                break;
            case "leaked":
                findings.Add(Error("state_leaked", plugin.Reason ?? "the load context survived an unload; restart the host"));
                break;
        }

        if (Directory.Exists(plugin.Directory) && ManifestParser.ParseDirectory(plugin.Directory).Manifest is { } manifest
            && AbiCompatibility.Check(manifest.TargetAbi) is { } abi)
        {
            findings.Add(Error(InstallCodes.AbiIncompatible, abi));
        }

        var signature = plugin.Managed?.Signature;
        if (plugin.Source is "bundled" or "path")
        {
            findings.AddRange(PluginDirectorySafety.Check(plugin.Directory).Problems.Select(p => Error(p.Code, p.Message)));
        }
        else if (pluginLock?.Find(plugin.Id) is { } entry)
        {
            signature = CheckManaged(plugin, entry, policy, findings) ?? signature;
        }
        else if (pluginLock is not null && plugin.Managed is not null)
        {
            findings.Add(Error("lock_entry_missing", $"'{plugin.Id}' runs as a managed plugin but {PluginLockFile.FileName} has no entry for it"));
        }

        return new PluginDoctorEntry(plugin.Id, plugin.Source, plugin.State, plugin.Version, signature, plugin.Managed?.Publisher,
            plugin.Managed?.FindingCount ?? 0, plugin.Managed?.AllowUnvetted ?? false, findings);
    }

    /// <returns>The signature state the check found now, or null when it did not get that far.</returns>
    private string? CheckManaged(PluginInfo plugin, PluginLockEntry entry, SignaturePolicy? policy, List<DoctorFinding> findings)
    {
        if (plugin.Version is { } running && plugin.State == "active" && running != entry.Version)
        {
            findings.Add(Error("lock_version_mismatch", $"'{plugin.Id}' runs {running} but {PluginLockFile.FileName} pins {entry.Version}"));
        }

        if (entry.AllowUnsigned)
        {
            findings.Add(Warning("signature_override", $"'{plugin.Id}' was accepted unsigned or from an untrusted publisher with --allow-unsigned"));
        }

        if (entry.FindingCount > 0)
        {
            var first = entry.Findings.Count > 0 ? $"; first: {entry.Findings[0].Message}" : string.Empty;
            findings.Add(entry.AllowUnvetted
                ? Warning("vetting_findings", $"{entry.FindingCount} vetting finding(s) accepted with --allow-unvetted{first}")
                : Error(PluginLoadCheck.VettingNotAllowed, $"{entry.FindingCount} vetting finding(s) without --allow-unvetted{first}"));
        }

        if (policy is null)
        {
            return null;
        }

        var directory = store.Layout.DirectoryOf(entry);
        var verdict = entry.IsLinked
            ? PluginLoadCheck.VerifyLinked(directory, entry, policy)
            : PluginLoadCheck.Verify(store.Layout.Root, directory, entry, policy);
        foreach (var problem in verdict.Problems.Where(p => p.Code != PluginLoadCheck.VettingNotAllowed))
        {
            findings.Add(Error(problem.Code, problem.Message));
        }

        findings.AddRange(verdict.Warnings.Select(w => Warning(w.Code, w.Message)));
        return verdict.Signature?.State.ToString().ToLowerInvariant();
    }

    /// <summary>Directories under the managed root the lock does not explain (recovery removes them at the next start).</summary>
    private IEnumerable<DoctorFinding> Debris(PluginLock? pluginLock)
    {
        var layout = store.Layout;
        if (!installer.IsBusy && Directory.Exists(layout.Staging) && Directory.EnumerateFileSystemEntries(layout.Staging).Any())
        {
            yield return Warning("staging_leftover", $"{layout.Staging} is not empty although no install is running; the next start removes it");
        }

        if (pluginLock is null || !Directory.Exists(layout.Root))
        {
            yield break;
        }

        foreach (var directory in Directory.EnumerateDirectories(layout.Root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(directory);
            if (name.StartsWith('.'))
            {
                continue;
            }

            var entry = pluginLock.Find(name);
            var expected = entry is null || entry.IsLinked ? null : layout.VersionDirectory(entry.Id, entry.Version);
            foreach (var child in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
            {
                if (child != expected && !installer.IsBusy)
                {
                    yield return Warning("orphan_directory", $"{child} is not pinned by {PluginLockFile.FileName}; the next start removes it");
                }
            }
        }
    }

    private static DoctorFinding Error(string code, string message) => new(code, DoctorFinding.Error, message);

    private static DoctorFinding Warning(string code, string message) => new(code, DoctorFinding.Warning, message);
}
