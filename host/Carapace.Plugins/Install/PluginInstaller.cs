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
            return request.Link ? await LinkAsync(request) : await CopyAsync(request);
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
                    replaced = layout.ReplacedDirectory(entry.Id, entry.Version);
                    Tree.Delete(replaced);
                    Directory.Move(target, replaced);
                }

                Directory.Move(staged.Directory, target);
                placed = target;
                Fsync.Tree(target);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InstallException(InstallFailure.Conflict, InstallCodes.StateUnwritable,
                    $"cannot place the plugin under {layout.Root}: {ex.Message}");
            }

            await pauses.ReachedAsync(InstallPausePointNames.AfterMove, CancellationToken.None);
            await ActivateAsync(entry, target, current);
            placed = null;
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

        await ActivateAsync(entry, directory, current);
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

    /// <summary>Verifies and builds the new generation, commits the lock, swaps. Throws when the runtime refused it.</summary>
    private async Task ActivateAsync(PluginLockEntry entry, string directory, PluginLock current)
    {
        var committed = false;
        PluginOperationResult result;
        try
        {
            result = await runtime.ActivateManagedAsync(new ManagedTarget(entry, directory), async () =>
            {
                store.WriteLock(current.With(entry));
                committed = true;
                await pauses.ReachedAsync(InstallPausePointNames.AfterCommit, CancellationToken.None);
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (committed)
            {
                // Only the pause point can throw after the write; put the old lock back before undoing the files.
                store.WriteLock(current);
            }

            throw new InstallException(InstallFailure.Conflict, InstallCodes.StateUnwritable,
                $"cannot write {store.Layout.LockPath}: {ex.Message}; nothing was changed");
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

    private static PluginManifest ReadManifest(string directory)
    {
        var parsed = ManifestParser.ParseDirectory(directory);
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
