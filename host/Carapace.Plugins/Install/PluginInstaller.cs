using System.Globalization;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;
using Carapace.Storage;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Install;

/// <summary>
/// Installs, updates and links managed plugins, one change at a time:
/// stage into <c>.staging</c> (limits, paths, links, devices) → manifest and ABI → sha256 against what
/// is installed → signature policy → vetting → move into <c>&lt;id&gt;/&lt;version&gt;</c> (fsynced) → the
/// runtime verifies and builds the new generation → the lock write commits → the runtime swaps it in
/// (calls in flight finish on the old generation). Any refusal before the commit undoes the move and
/// leaves the previous version installed and serving; a crash anywhere is resolved at the next start
/// by <see cref="InstallRecovery"/>, from the lock alone.
/// </summary>
internal sealed class PluginInstaller(
    ManagedPluginStore store,
    PluginRuntime runtime,
    IPluginLifecycleObserver observer,
    IInstallPausePoints pauses,
    TimeProvider time,
    ILogger<PluginInstaller> logger)
{
    // Installs, updates and uninstalls each read the lock, change the tree and write the lock: one at a time.
    private readonly SemaphoreSlim _serial = new(1, 1);

    // The id of the package being installed, once its manifest is read (for the refusal's audit event).
    // Only the change holding _serial writes it.
    private string? _attemptId;

    /// <summary>True while a change is running (doctor does not report its staging directory as debris).</summary>
    public bool IsBusy => _serial.CurrentCount == 0;

    public ManagedPluginStore Store => store;

    /// <exception cref="InstallException">The package was refused; nothing changed.</exception>
    public async Task<InstallOutcome> InstallAsync(InstallRequest request, CancellationToken cancellationToken)
    {
        EnsureEnabled();
        await _serial.WaitAsync(cancellationToken);
        try
        {
            // Past this point the client going away does not interrupt a change half-way.
            _attemptId = null;
            return request.Link ? await LinkAsync(request) : await CopyAsync(request);
        }
        catch (InstallException ex) when (ex.Code != InstallCodes.InstalledNotActive)
        {
            AuditRefusal(request, ex);
            throw;
        }
        finally
        {
            _serial.Release();
        }
    }

    /// <exception cref="InstallException">Not installed, not managed, or the lock cannot be written.</exception>
    public async Task<UninstallOutcome> UninstallAsync(string id, bool keepFiles, bool dryRun, string? actor, CancellationToken cancellationToken)
    {
        EnsureEnabled();
        await _serial.WaitAsync(cancellationToken);
        try
        {
            return await RemoveAsync(id, keepFiles, dryRun, actor);
        }
        finally
        {
            _serial.Release();
        }
    }

    private async Task<InstallOutcome> CopyAsync(InstallRequest request)
    {
        var (policy, current) = Begin();
        var layout = store.Layout;
        var staging = layout.NewStagingPath();
        string? placed = null;
        string? replaced = null;
        try
        {
            StagedPackage staged;
            try
            {
                staged = PackageReader.Stage(request.Package, staging);
            }
            catch (PackageException ex)
            {
                throw new InstallException(InstallFailure.Refused, ex.Code, ex.Message);
            }

            await pauses.ReachedAsync(InstallPausePointNames.Staged, CancellationToken.None);
            var manifest = ReadManifest(staged.Directory);
            var (existing, unchanged) = CompareWithInstalled(manifest, staged.Digest, current, request, linkedDirectory: null);
            if (unchanged)
            {
                return Unchanged(existing!);
            }

            var (signature, vetting) = Verify(manifest.Id, staged.Directory, staged.Digest, policy, request);
            var entry = PluginLockEntry.ForInstall(manifest.Id, manifest.Version, staged.Digest, signature, vetting,
                request.Source, time.GetUtcNow(), SignatureVerifier.ReadSignatureFile(staged.Directory));

            var target = layout.VersionDirectory(entry.Id, entry.Version);
            try
            {
                OwnerOnly.EnsureDirectory(layout.PluginDirectory(entry.Id));
                if (Directory.Exists(target))
                {
                    // The same version with other content (--yes) or a repair: keep the pinned copy until the commit.
                    var aside = layout.ReplacedDirectory(entry.Id, entry.Version);
                    Tree.Delete(aside);
                    Directory.Move(target, aside);
                    replaced = aside;
                    await pauses.ReachedAsync(InstallPausePointNames.ReplacedAside, CancellationToken.None);
                }

                Directory.Move(staged.Directory, target);
                placed = target;
                Fsync.Tree(target);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (placed is null && replaced is not null)
                {
                    // The pinned copy was moved aside but the new one never arrived: put the pinned one back now,
                    // so the plugin's directory is not missing until the next start's recovery.
                    RestoreReplaced(replaced, target);
                    replaced = null;
                }

                throw new InstallException(InstallFailure.Conflict, InstallCodes.StateUnwritable,
                    $"cannot place the plugin under {layout.Root}: {ex.Message}");
            }

            await pauses.ReachedAsync(InstallPausePointNames.AfterMove, CancellationToken.None);
            var notActive = await ActivateAsync(entry, target, current);

            // Committed: from here on the lock names the new copy, so nothing below may remove it.
            placed = null;
            if (notActive is not null)
            {
                // The previous version may still be serving from its directory (or from the ~replaced copy):
                // leave it; the next start's recovery removes what the lock no longer pins.
                replaced = null;
                throw NotActive(entry, existing, signature, request.Actor, notActive);
            }

            Tree.TryDelete(replaced);
            replaced = null;
            if (existing is not null && !existing.IsLinked && existing.Version != entry.Version)
            {
                Tree.TryDelete(layout.VersionDirectory(existing.Id, existing.Version));
            }

            return Done(entry, existing, signature, vetting, request.Actor);
        }
        finally
        {
            RollBack(placed, replaced);
            Tree.TryDelete(staging);
        }
    }

    private async Task<InstallOutcome> LinkAsync(InstallRequest request)
    {
        var (policy, current) = Begin();
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.Package));
        if (!Directory.Exists(directory))
        {
            throw File.Exists(directory)
                ? new InstallException(InstallFailure.Refused, InstallCodes.LinkNotDirectory, $"--link needs a plugin directory; '{directory}' is a file")
                : new InstallException(InstallFailure.Refused, PackageErrorCodes.NotFound, $"'{directory}' does not exist");
        }

        var safety = PluginDirectorySafety.Check(directory);
        if (!safety.IsSafe)
        {
            var first = safety.Problems[0];
            throw new InstallException(InstallFailure.Refused, first.Code, first.Message);
        }

        ContentDigest digest;
        try
        {
            (digest, _) = PackageDirectoryWalker.ComputeDigest(directory);
        }
        catch (PackageException ex)
        {
            throw new InstallException(InstallFailure.Refused, ex.Code, ex.Message);
        }

        var manifest = ReadManifest(directory);
        var (existing, unchanged) = CompareWithInstalled(manifest, digest, current, request, directory);
        if (unchanged)
        {
            return Unchanged(existing!);
        }

        var (signature, vetting) = Verify(manifest.Id, directory, digest, policy, request);
        // Nothing pins a linked directory's content, so the overrides are recorded as given: they apply
        // to whatever the next build puts there.
        var entry = PluginLockEntry.ForInstall(manifest.Id, manifest.Version, digest, signature, vetting,
            PluginLockEntry.LinkSourcePrefix + directory, time.GetUtcNow(), SignatureVerifier.ReadSignatureFile(directory)) with
        {
            AllowUnsigned = signature.UsedOverride || request.AllowUnsigned,
            AllowUnvetted = !vetting.IsClean || request.AllowUnvetted,
        };

        if (await ActivateAsync(entry, directory, current) is { } notActive)
        {
            throw NotActive(entry, existing, signature, request.Actor, notActive);
        }

        if (existing is { IsLinked: false })
        {
            Tree.TryDelete(store.Layout.PluginDirectory(existing.Id));
        }

        return Done(entry, existing, signature, vetting, request.Actor);
    }

    private async Task<UninstallOutcome> RemoveAsync(string id, bool keepFiles, bool dryRun, string? actor)
    {
        var current = ReadLock();
        var entry = current.Find(id);
        if (entry is null)
        {
            throw runtime.SourceOf(id) is { } source and not (PluginSource.Managed or PluginSource.Linked)
                ? new InstallException(InstallFailure.Conflict, InstallCodes.NotManaged,
                    $"plugin '{id}' is a {PluginRuntime.SourceName(source)} plugin, not a managed install; disable it instead")
                : new InstallException(InstallFailure.NotFound, InstallCodes.NotInstalled, $"no managed plugin '{id}' is installed");
        }

        var layout = store.Layout;
        var directory = layout.DirectoryOf(entry);
        var kept = !entry.IsLinked && keepFiles ? layout.KeptPath(entry.Id, entry.Version, time.GetUtcNow()) : null;
        var removed = entry.IsLinked || keepFiles ? null : directory;
        if (dryRun)
        {
            var what = entry.IsLinked ? $"unregister the linked directory {directory} (its files stay)"
                : kept is not null ? $"move {directory} to {kept}" : $"delete {directory}";
            return new UninstallOutcome(entry, true, removed, kept, runtime.Get(id), false,
                $"would unload '{id}' {entry.Version}, remove it from {PluginLockFile.FileName} and {what}; nothing was changed");
        }

        PluginOperationResult result;
        try
        {
            result = await runtime.RemoveManagedAsync(id, () =>
            {
                store.WriteLock(current.Without(id));
                return Task.CompletedTask;
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.StateUnwritable,
                $"cannot write {layout.LockPath}: {ex.Message}; nothing was changed");
        }

        if (!entry.IsLinked)
        {
            try
            {
                if (kept is not null && Directory.Exists(directory))
                {
                    OwnerOnly.EnsureDirectory(layout.Kept);
                    Directory.Move(directory, kept);
                }

                Tree.Delete(layout.PluginDirectory(id));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Committed already; the next start's recovery removes what is left.
                logger.LogWarning("plugin {PluginId} is uninstalled but its files could not all be removed: {Error}", id, ex.Message);
            }
        }

        var leaked = result.Code == PluginOperationCodes.Leaked;
        observer.OnEvent(new PluginLifecycleEvent(id, PluginLifecycleEventKind.Uninstalled, leaked ? result.Message : null)
        {
            Data = Fields(("version", entry.Version), ("sha256", entry.Sha256.Hex),
                ("files", entry.IsLinked ? "linked (left in place)" : kept is not null ? $"kept in {kept}" : "deleted"), ("actor", actor)),
        });
        logger.LogInformation("plugin {PluginId} {Version} uninstalled", id, entry.Version);
        var message = leaked
            ? $"uninstalled '{id}' {entry.Version}, but its load context is still alive; restart the host to reclaim it"
            : $"uninstalled '{id}' {entry.Version}";
        return new UninstallOutcome(entry, false, removed, kept, result.Plugin, leaked, message);
    }

    /// <summary>
    /// Verifies and builds the new generation, commits the lock, swaps. Throws when the runtime refused it
    /// before the commit (nothing changed). Returns null when it is active, or why not when the lock was
    /// committed but the plugin did not go live (e.g. a tool name claimed by another plugin in the meantime):
    /// the commit stands, the caller keeps the files, and a reload or the next start activates it.
    /// </summary>
    private async Task<string?> ActivateAsync(PluginLockEntry entry, string directory, PluginLock current)
    {
        var committed = false;
        PluginOperationResult result;
        try
        {
            result = await runtime.ActivateManagedAsync(new ManagedTarget(entry, directory), async () =>
            {
                store.WriteLock(current.With(entry));
                committed = true;
                try
                {
                    await pauses.ReachedAsync(InstallPausePointNames.AfterCommit, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // A crash-test hook must not turn a written commit into "not committed" for the runtime.
                    logger.LogWarning("install pause point {Point} failed after the commit: {Error}", InstallPausePointNames.AfterCommit, ex.Message);
                }
            });
        }
        catch (Exception ex) when (!committed && ex is IOException or UnauthorizedAccessException)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.StateUnwritable,
                $"cannot write {store.Layout.LockPath}: {ex.Message}; nothing was changed");
        }
        catch (Exception ex) when (committed)
        {
            logger.LogError(ex, "plugin {PluginId} {Version} was committed but activating it failed", entry.Id, entry.Version);
            return $"activation failed after the commit: {ex.Message}";
        }

        if (committed)
        {
            return result.Succeeded ? null : result.Message;
        }

        if (!result.Succeeded)
        {
            var code = result.Code switch
            {
                PluginOperationCodes.Leaked => InstallCodes.Leaked,
                PluginOperationCodes.IdConflict => InstallCodes.IdConflict,
                _ => InstallCodes.ActivationFailed,
            };
            var failure = code == InstallCodes.ActivationFailed ? InstallFailure.Refused : InstallFailure.Conflict;
            var previous = current.Find(entry.Id) is { } old ? $"; {old.Version} stays installed" : string.Empty;
            throw new InstallException(failure, code, $"plugin '{entry.Id}' {entry.Version} did not activate: {result.Message}{previous}")
            {
                Plugin = result.Plugin,
            };
        }

        return null;
    }

    private (SignaturePolicy Policy, PluginLock Lock) Begin()
    {
        var (policy, error) = store.ReadPolicy();
        if (policy is null)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.PolicyInvalid, error!);
        }

        return (policy, ReadLock());
    }

    private PluginLock ReadLock()
    {
        try
        {
            return store.ReadLock();
        }
        catch (PluginLockException ex)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.LockInvalid,
                $"{ex.Message}; installed plugins cannot be verified, so nothing is changed until it is fixed or restored");
        }
    }

    private PluginManifest ReadManifest(string directory)
    {
        var parsed = ManifestParser.ParseDirectory(directory);
        _attemptId = parsed.Manifest?.Id ?? parsed.Id;
        if (parsed.Manifest is not { } manifest)
        {
            throw new InstallException(InstallFailure.Refused, InstallCodes.ManifestInvalid, $"{PluginManifest.FileName}: {parsed.Error}");
        }

        if (AbiCompatibility.Check(manifest.TargetAbi) is { } abi)
        {
            throw new InstallException(InstallFailure.Refused, InstallCodes.AbiIncompatible, abi);
        }

        if (!PluginLockEntry.IsValidId(manifest.Id) || !PluginLockEntry.IsValidVersion(manifest.Version))
        {
            throw new InstallException(InstallFailure.Refused, InstallCodes.ManifestInvalid,
                $"{PluginManifest.FileName}: id '{manifest.Id}' or version '{manifest.Version}' cannot name an installed directory");
        }

        return manifest;
    }

    /// <summary>
    /// The rules against what is installed. Returns the installed entry (null for a new id) and whether
    /// the package is exactly what is installed already (nothing to do).
    /// </summary>
    private (PluginLockEntry? Existing, bool Unchanged) CompareWithInstalled(
        PluginManifest manifest, ContentDigest digest, PluginLock current, InstallRequest request, string? linkedDirectory)
    {
        var id = manifest.Id;
        if (runtime.SourceOf(id) is { } source and not (PluginSource.Managed or PluginSource.Linked))
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.IdConflict,
                $"plugin id '{id}' is taken by the {PluginRuntime.SourceName(source)} plugin in {runtime.Get(id)?.Directory}; a managed plugin cannot replace it");
        }

        var existing = current.Find(id);
        if (existing is null)
        {
            return request.Update
                ? throw new InstallException(InstallFailure.NotFound, InstallCodes.NotInstalled,
                    $"plugin '{id}' is not installed; use `cara plugins install` for a new plugin")
                : (null, false);
        }

        if (existing.Version != manifest.Version)
        {
            return request.Update
                ? (existing, false)
                : throw new InstallException(InstallFailure.Conflict, InstallCodes.AlreadyInstalled,
                    $"plugin '{id}' {existing.Version} is installed; use `cara plugins update` to change it to {manifest.Version}");
        }

        var sameContent = existing.Sha256.Equals(digest);
        if (sameContent && existing.LinkedDirectory == linkedDirectory)
        {
            // The same package again: nothing to do, unless the installed copy no longer matches (a repair).
            var intact = existing.IsLinked || PluginIntegrity.Check(store.Layout.DirectoryOf(existing), existing).IsIntact;
            return (existing, intact);
        }

        if (!sameContent && !existing.IsLinked && !request.Yes)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.Sha256Changed,
                $"plugin '{id}' {existing.Version} is installed as sha256:{existing.Sha256.Hex}, but this package of the same version " +
                $"is sha256:{digest.Hex}. The same version with other content is a silent re-release or tampering; " +
                "check where it came from and pass --yes to replace it");
        }

        return (existing, false);
    }

    private (SignatureVerification Signature, VettingReport Vetting) Verify(
        string id, string directory, ContentDigest digest, SignaturePolicy policy, InstallRequest request)
    {
        var signature = SignatureVerifier.Verify(digest, SignatureVerifier.ReadSignatureFile(directory), policy, request.AllowUnsigned);
        if (!signature.IsAccepted)
        {
            observer.OnEvent(new PluginLifecycleEvent(id, PluginLifecycleEventKind.SignatureFailed, signature.Message)
            {
                Data = Fields(("reason", signature.Code!), ("sha256", digest.Hex), ("publisher", signature.Publisher?.Hex), ("at", "install")),
            });
            throw new InstallException(InstallFailure.Refused, signature.Code!, signature.Message);
        }

        if (signature.State == SignatureState.Verified)
        {
            observer.OnEvent(new PluginLifecycleEvent(id, PluginLifecycleEventKind.SignatureVerified)
            {
                Data = Fields(("sha256", digest.Hex), ("publisher", signature.Publisher!.Value.Hex)),
            });
        }

        var vetting = PluginVetter.Vet(directory);
        if (!vetting.IsClean && !request.AllowUnvetted)
        {
            var message = $"vetting found {vetting.Findings.Count}{(vetting.Truncated ? "+" : "")} use(s) of banned APIs; " +
                          $"first: {vetting.Findings[0].Message}. Pass --allow-unvetted to install it anyway (recorded and shown in status)";
            observer.OnEvent(new PluginLifecycleEvent(id, PluginLifecycleEventKind.VettingRefused, message)
            {
                Data = Fields(("sha256", digest.Hex), ("finding_count", vetting.Findings.Count.ToString(CultureInfo.InvariantCulture)),
                    ("codes", string.Join(",", vetting.CountsByCode.Keys.Order(StringComparer.Ordinal)))),
            });
            throw new InstallException(InstallFailure.Refused, InstallCodes.VettingRefused, message) { Findings = vetting.Findings };
        }

        return (signature, vetting);
    }

    private InstallOutcome Done(PluginLockEntry entry, PluginLockEntry? existing, SignatureVerification signature, VettingReport vetting, string? actor)
    {
        var action = existing is not null ? InstallActions.Updated : entry.IsLinked ? InstallActions.Linked : InstallActions.Installed;
        var data = Fields(
            ("version", entry.Version), ("sha256", entry.Sha256.Hex), ("publisher", entry.PublisherKey?.Hex),
            ("signature", signature.State.ToString().ToLowerInvariant()),
            ("allow_unsigned", entry.AllowUnsigned ? "true" : "false"), ("allow_unvetted", entry.AllowUnvetted ? "true" : "false"),
            ("finding_count", entry.FindingCount.ToString(CultureInfo.InvariantCulture)), ("source", entry.Source),
            ("previous_version", existing?.Version), ("previous_sha256", existing?.Sha256.Hex), ("actor", actor));
        observer.OnEvent(new PluginLifecycleEvent(entry.Id,
            existing is null ? PluginLifecycleEventKind.Installed : PluginLifecycleEventKind.Updated) { Data = data });

        var plugin = runtime.Get(entry.Id);
        var message = existing is null
            ? $"{action} '{entry.Id}' {entry.Version}"
            : $"updated '{entry.Id}' {existing.Version} -> {entry.Version}";
        if (plugin is { State: not "active" })
        {
            message += $" (not active: {plugin.Reason ?? plugin.State})";
        }

        logger.LogInformation("plugin {PluginId}: {Message} (sha256 {Sha256}, signature {Signature}, findings {Findings})",
            entry.Id, message, entry.Sha256.Hex, signature.State, entry.FindingCount);
        return new InstallOutcome(action, entry, existing?.Version, signature, vetting, plugin, message);
    }

    /// <summary>
    /// The lock names the new version but it is not serving: audited as the install or update it is (with
    /// <c>active: false</c> and the reason), and reported with its own code so scripts can tell it from both
    /// success and refusal.
    /// </summary>
    private InstallException NotActive(PluginLockEntry entry, PluginLockEntry? existing, SignatureVerification signature,
        string? actor, string reason)
    {
        var plugin = runtime.Get(entry.Id);
        var serving = existing is not null && plugin is { State: "active" } && plugin.Version == existing.Version;
        var data = Fields(
            ("version", entry.Version), ("sha256", entry.Sha256.Hex), ("publisher", entry.PublisherKey?.Hex),
            ("signature", signature.State.ToString().ToLowerInvariant()), ("source", entry.Source),
            ("finding_count", entry.FindingCount.ToString(CultureInfo.InvariantCulture)),
            ("previous_version", existing?.Version), ("previous_sha256", existing?.Sha256.Hex), ("actor", actor),
            ("active", "false"), ("code", InstallCodes.InstalledNotActive), ("reason", reason),
            ("serving_version", serving ? existing!.Version : null));
        observer.OnEvent(new PluginLifecycleEvent(entry.Id,
            existing is null ? PluginLifecycleEventKind.Installed : PluginLifecycleEventKind.Updated, reason) { Data = data });
        var then = serving
            ? $"{existing!.Version} keeps serving until `cara plugins reload {entry.Id}` (or the next start) activates {entry.Version}"
            : $"`cara plugins reload {entry.Id}` (or the next start) activates it once the cause is resolved";
        var message = $"'{entry.Id}' {entry.Version} is installed ({PluginLockFile.FileName} committed) but not active: {reason}; {then}";
        logger.LogWarning("plugin {PluginId}: {Message}", entry.Id, message);
        return new InstallException(InstallFailure.NotActive, InstallCodes.InstalledNotActive, message) { Plugin = plugin };
    }

    private void AuditRefusal(InstallRequest request, InstallException ex) =>
        observer.OnEvent(new PluginLifecycleEvent(_attemptId ?? string.Empty, PluginLifecycleEventKind.InstallRefused, ex.Message)
        {
            Data = Fields(("reason", ex.Code), ("source", request.Source), ("update", request.Update ? "true" : "false"),
                ("link", request.Link ? "true" : "false"), ("actor", request.Actor)),
        });

    /// <summary>Puts a copy moved aside for a replacement back in place (the replacement never arrived).</summary>
    private void RestoreReplaced(string replaced, string target)
    {
        try
        {
            Tree.Delete(target);
            Directory.Move(replaced, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError("restoring {Directory} from {Replaced} failed ({Error}); the next start's recovery restores what the lock file pins",
                target, replaced, ex.Message);
        }
    }

    private InstallOutcome Unchanged(PluginLockEntry existing) =>
        new(InstallActions.Unchanged, existing, existing.Version, null, null, runtime.Get(existing.Id),
            $"'{existing.Id}' {existing.Version} is already installed with this content; nothing to do");

    /// <summary>Undoes a move that was not committed: the new copy goes, the replaced copy comes back.</summary>
    private void RollBack(string? placed, string? replaced)
    {
        if (placed is null)
        {
            return;
        }

        try
        {
            Tree.Delete(placed);
            if (replaced is not null && Directory.Exists(replaced))
            {
                Directory.Move(replaced, placed);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError("rolling back {Directory} failed ({Error}); the next start's recovery restores what the lock file pins", placed, ex.Message);
        }
    }

    private void EnsureEnabled()
    {
        if (!store.IsEnabled)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.Unavailable, "this host has no state directory for managed plugins");
        }
    }

    private static Dictionary<string, string> Fields(params (string Key, string? Value)[] fields) =>
        fields.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value!, StringComparer.Ordinal);
}
