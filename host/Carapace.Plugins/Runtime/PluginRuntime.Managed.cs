using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Services;
using Carapace.Plugins.Signing;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// Managed plugins in the runtime: the lock file's entries become slots at start (after recovery),
/// every load is checked against the source (<see cref="CheckBeforeLoad"/>), and install, update and
/// uninstall change a slot under its lifecycle lock with the lock-file write as the commit point.
/// </summary>
internal sealed partial class PluginRuntime
{
    /// <summary>How the control API and status name a source.</summary>
    public static string SourceName(PluginSource source) => source switch
    {
        PluginSource.Bundled => "bundled",
        PluginSource.Path => "path",
        PluginSource.Managed => "managed",
        PluginSource.Linked => "linked",
        _ => source.ToString().ToLowerInvariant(),
    };

    /// <summary>The source of the plugin with this id, or null when there is none.</summary>
    public PluginSource? SourceOf(string id) => _slots.TryGetValue(id, out var slot) ? slot.Source : null;

    /// <summary>
    /// Activates <paramref name="target"/> as plugin <see cref="ManagedTarget.Id"/>: verifies and builds a
    /// new generation from its directory, calls <paramref name="commit"/> (the lock-file write), then makes
    /// it current. An active plugin is hot-swapped: calls in flight finish on the old generation. If the
    /// build fails, or <paramref name="commit"/> throws (the exception propagates), nothing changed and
    /// the old generation keeps serving. A plugin that is disabled stays disabled (only its files change).
    /// </summary>
    public async Task<PluginOperationResult> ActivateManagedAsync(ManagedTarget target, Func<Task> commit)
    {
        var slot = _slots.GetValueOrDefault(target.Id);
        if (slot is not null && slot.Source is not (PluginSource.Managed or PluginSource.Linked))
        {
            return new PluginOperationResult(PluginOperationCodes.IdConflict,
                $"plugin id '{target.Id}' is taken by the {SourceName(slot.Source)} plugin in {slot.Directory}", Describe(slot));
        }

        var fresh = slot is null;
        slot ??= new PluginSlot(target.Id, target.Directory, target.Source);
        await slot.Lifecycle.WaitAsync();
        try
        {
            if (slot.HasLeaked)
            {
                return Leaked(slot);
            }

            var previousManifest = slot.Manifest;
            var disabledBecause = !fresh && slot.Current is null && slot.State == PluginState.Disabled
                ? slot.Reason ?? "disabled"
                : DisabledBecause(target.Id, target.Directory);
            var watch = Stopwatch.StartNew();
            PluginGeneration? next = null;
            string? conflict = null;
            if (disabledBecause is null)
            {
                var (built, error) = Build(slot, target);
                if (built is null)
                {
                    slot.Manifest = previousManifest;
                    slot.RecordError(error!);
                    return new PluginOperationResult(PluginOperationCodes.Failed, error!, Describe(slot));
                }

                next = built;
                built = null;
                conflict = _tools.FindConflict(slot, next.Tools.Keys) ?? _channels.FindConflict(slot, next.Channels.Keys);
            }

            ExceptionDispatchInfo? commitFailure = null;
            if (conflict is null)
            {
                try
                {
                    await commit();
                }
                catch (Exception ex)
                {
                    commitFailure = ExceptionDispatchInfo.Capture(ex);
                }
            }

            if (conflict is not null || commitFailure is not null)
            {
                // Not committed: the new generation goes, the old one (if any) never stopped serving.
                if (next is not null)
                {
                    var discarded = await RetireAsync(slot, next, stopChannelsFirst: false);
                    next = null;
                    await OffTheStack();
                    Verify(slot, discarded, slot.State, slot.Reason, silentOnSuccess: true);
                }

                slot.Manifest = previousManifest;
                commitFailure?.Throw();
                return new PluginOperationResult(PluginOperationCodes.Failed, conflict!, Describe(slot));
            }

            // Committed: the slot now stands for the new directory and lock entry.
            slot.Directory = target.Directory;
            slot.Source = target.Source;
            slot.Managed = target.Entry;
            slot.Signature = target.Signature ?? slot.Signature;
            if (fresh)
            {
                _slots[target.Id] = slot;
            }

            if (next is null)
            {
                slot.Manifest = ManifestParser.ParseDirectory(target.Directory).Manifest ?? slot.Manifest;
                slot.SetState(PluginState.Disabled, disabledBecause);
                return Ok(slot, $"installed, not active: {disabledBecause}");
            }

            // The early conflict check above was advisory; claiming is the atomic step (another plugin may
            // have claimed a name since). The lock is already committed, so a lost race is reported, not undone.
            var claimConflict = _registrations.TryClaim(slot, next.Tools.Keys.ToList(), next.Channels.Keys.ToList());
            if (claimConflict is not null)
            {
                var discarded = await RetireAsync(slot, next, stopChannelsFirst: false);
                next = null;
                await OffTheStack();
                var previousServes = slot.Current is not null;
                Verify(slot, discarded, previousServes ? PluginState.Active : PluginState.Failed, previousServes ? null : claimConflict, silentOnSuccess: true);
                if (!previousServes && slot.State != PluginState.Leaked)
                {
                    Fail(slot, claimConflict);
                }

                slot.RecordError(claimConflict);
                return new PluginOperationResult(PluginOperationCodes.Failed, previousServes
                    ? $"installed, but not activated ({claimConflict}); the previous version keeps serving until the conflict is resolved and the plugin reloaded"
                    : $"installed, but not activated: {claimConflict}", Describe(slot));
            }

            var loadMs = watch.Elapsed.TotalMilliseconds;
            var version = next.Manifest.Version;
            if (slot.Current is null)
            {
                GoLive(slot, next, loadMs);
                next = null;
                return Ok(slot, "active");
            }

            var retired = await SwapAsync(slot, next);
            next = null;
            await OffTheStack();
            slot.LoadMs = loadMs;
            var collected = Verify(slot, retired, PluginState.Active, reason: null, silentOnSuccess: false);
            _logger.LogInformation("plugin {PluginId} swapped to {Version} ({Directory}, generation {Generation}, {LoadMs:0.0} ms)",
                slot.Id, version, slot.Directory, slot.GenerationCount, loadMs);
            PublishLoaded(slot, version);
            return Ok(slot, collected
                ? "swapped; the previous version unloaded"
                : "swapped, but the previous version's load context is still alive; restart the host to reclaim it");
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    /// <summary>
    /// Uninstall: calls <paramref name="commit"/> (the lock-file write; if it throws nothing changed),
    /// then unloads the plugin with verification and drops its slot. A plugin whose load context
    /// survives stays listed as <c>leaked</c> so it is not installed again in this process.
    /// </summary>
    public async Task<PluginOperationResult> RemoveManagedAsync(string id, Func<Task> commit)
    {
        if (!_slots.TryGetValue(id, out var slot))
        {
            // In the lock but never loaded (e.g. its id collided with a bundled plugin at start).
            await commit();
            return new PluginOperationResult(PluginOperationCodes.Ok, "removed (it was not loaded)", null);
        }

        if (slot.Source is not (PluginSource.Managed or PluginSource.Linked))
        {
            return new PluginOperationResult(PluginOperationCodes.IdConflict, $"plugin '{id}' is {SourceName(slot.Source)}, not managed", Describe(slot));
        }

        await slot.Lifecycle.WaitAsync();
        try
        {
            await commit();
            if (slot.Current is not null)
            {
                await DeactivateAsync(slot, PluginState.Unloaded, "uninstalled");
            }
            else if (!slot.HasLeaked)
            {
                slot.SetState(PluginState.Unloaded, "uninstalled");
            }

            if (slot.HasLeaked)
            {
                return new PluginOperationResult(PluginOperationCodes.Leaked,
                    $"plugin '{id}' is uninstalled but its load context is still alive; restart the host to reclaim it", Describe(slot));
            }

            var last = Describe(slot);
            _slots.TryRemove(new KeyValuePair<string, PluginSlot>(id, slot));
            return new PluginOperationResult(PluginOperationCodes.Ok, "unloaded", last);
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    /// <summary>Recovers the managed tree and adds a slot for every lock entry (before anything loads).</summary>
    private void AddManagedSlots()
    {
        if (!_managed.IsEnabled)
        {
            return;
        }

        IReadOnlyList<RecoveredPlugin> recovered;
        try
        {
            recovered = InstallRecovery.Run(_managed, _logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _managed.StartupLockError ??= ex.Message;
            _logger.LogError("managed plugins are not loaded: {Root} cannot be read ({Error})", _managed.Layout.Root, ex.Message);
            return;
        }

        foreach (var plugin in recovered)
        {
            var entry = plugin.Entry;
            var source = entry.IsLinked ? PluginSource.Linked : PluginSource.Managed;
            var slot = new PluginSlot(entry.Id, plugin.Directory, source)
            {
                Managed = entry,
                Manifest = plugin.Problem is null ? ManifestParser.ParseDirectory(plugin.Directory).Manifest : null,
            };
            if (_slots.TryGetValue(entry.Id, out var existing))
            {
                var duplicate = new PluginSlot($"{entry.Id}@{SourceName(source)}", plugin.Directory, source) { Managed = entry };
                Fail(duplicate, $"{InstallCodes.IdConflict}: the managed plugin '{entry.Id}' is not loaded: the {SourceName(existing.Source)} plugin in {existing.Directory} has the same id");
                _slots.TryAdd(duplicate.Id, duplicate);
                continue;
            }

            _slots[entry.Id] = slot;
            if (plugin.Problem is { } problem)
            {
                Fail(slot, problem.ToString());
            }
        }
    }

    /// <summary>
    /// What is checked before any load, from the source alone: directory safety for every plugin (a
    /// development or bundled folder is its own root), and for a managed or linked plugin the full
    /// load check against its lock entry and the current signature policy. Null when it may load,
    /// otherwise <c>code: reason</c>.
    /// </summary>
    private string? CheckBeforeLoad(PluginSlot slot, ManagedTarget? target)
    {
        var source = target?.Source ?? slot.Source;
        var directory = target?.Directory ?? slot.Directory;
        if (source is PluginSource.Bundled or PluginSource.Path)
        {
            var safety = PluginDirectorySafety.Check(directory);
            LogWarnings(slot.Id, safety.Warnings.Select(w => w.ToString()));
            return safety.IsSafe ? null : Refusal(safety.Problems.Select(p => p.ToString()).ToList());
        }

        var entry = target?.Entry ?? slot.Managed;
        if (entry is null)
        {
            return $"{IntegrityCodes.Missing}: plugin '{slot.Id}' has no lock entry";
        }

        var (policy, policyError) = _managed.ReadPolicy();
        if (policy is null)
        {
            return $"{InstallCodes.PolicyInvalid}: {policyError}";
        }

        var verdict = source == PluginSource.Linked
            ? PluginLoadCheck.VerifyLinked(directory, entry, policy)
            : PluginLoadCheck.Verify(_managed.Layout.Root, directory, entry, policy);
        LogWarnings(slot.Id, verdict.Warnings.Select(w => w.ToString()));
        var signature = verdict.Signature?.State;
        if (target is not null)
        {
            target.Signature = signature;
        }
        else
        {
            slot.Signature = signature;
        }

        if (verdict.MayLoad)
        {
            return null;
        }

        if (verdict.Problems.FirstOrDefault(p => p.Code.StartsWith("signature_", StringComparison.Ordinal)) is { } signatureProblem)
        {
            _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.SignatureFailed, signatureProblem.Message)
            {
                Data = new Dictionary<string, string> { ["reason"] = signatureProblem.Code, ["at"] = "load", ["sha256"] = entry.Sha256.Hex },
            });
        }

        return Refusal(verdict.Problems.Select(p => p.ToString()).ToList());
    }

    /// <summary>Null when enabled, otherwise why not (the same rules as a configured plugin at start).</summary>
    private string? DisabledBecause(string id, string directory)
    {
        if (!_options.Enabled)
        {
            return "plugins:enabled is false";
        }

        var flag = _configuration[$"plugins:{id}:enabled"];
        if (flag is not null)
        {
            return bool.TryParse(flag, out var on) && on ? null : $"plugins:{id}:enabled is {flag}";
        }

        return ManifestParser.ParseDirectory(directory).Manifest is { EnabledByDefault: false }
            ? $"not enabled by default; set plugins:{id}:enabled: true"
            : null;
    }

    private void LogWarnings(string id, IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            _logger.LogWarning("plugin {PluginId}: {Warning}", id, warning);
        }
    }

    private static string Refusal(IReadOnlyList<string> problems) =>
        problems.Count == 1 ? problems[0] : $"{problems[0]} (and {problems.Count - 1} more: {string.Join("; ", problems.Skip(1))})";

    private static ManagedPluginInfo? DescribeManaged(PluginSlot slot) => slot.Managed is not { } entry
        ? null
        : new ManagedPluginInfo(
            entry.Sha256.Hex,
            entry.PublisherKey?.Hex,
            slot.Signature?.ToString().ToLowerInvariant() ?? "unchecked",
            entry.AllowUnsigned,
            entry.AllowUnvetted,
            entry.FindingCount,
            entry.InstalledAt,
            entry.Source);
}
