using Carapace.Plugins.Lock;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Install;

/// <summary>
/// What to install: <see cref="Package"/> is a <c>.zip</c> or directory on this machine (a local path,
/// or an upload already written under <c>.staging</c>); <see cref="Source"/> is what the lock records
/// as its origin. The flags are the operator's overrides.
/// </summary>
internal sealed record InstallRequest(string Package, string Source)
{
    /// <summary>Register the directory in place instead of copying it (development).</summary>
    public bool Link { get; init; }

    /// <summary>Accept an unsigned or untrusted package where <c>plugins.signature.requireSignature</c> is false.</summary>
    public bool AllowUnsigned { get; init; }

    /// <summary>Accept a package with vetting findings (recorded in the lock and shown in status).</summary>
    public bool AllowUnvetted { get; init; }

    /// <summary>Replace an installed version with a package of the same version but other content.</summary>
    public bool Yes { get; init; }

    /// <summary>The plugin must already be installed (<c>cara plugins update</c>); install refuses an installed id in another version.</summary>
    public bool Update { get; init; }

    /// <summary>Who asked (the client address), for the audit log.</summary>
    public string? Actor { get; init; }
}

/// <summary>What an install did: <c>installed</c>, <c>updated</c>, <c>linked</c> or <c>unchanged</c>.</summary>
internal static class InstallActions
{
    public const string Installed = "installed";
    public const string Updated = "updated";
    public const string Linked = "linked";
    public const string Unchanged = "unchanged";
}

/// <summary>The result of a successful install or update.</summary>
internal sealed record InstallOutcome(
    string Action,
    PluginLockEntry Entry,
    string? PreviousVersion,
    SignatureVerification? Signature,
    VettingReport? Vetting,
    PluginInfo? Plugin,
    string Message);

/// <summary>The result of an uninstall (or of a dry run of one).</summary>
internal sealed record UninstallOutcome(
    PluginLockEntry Entry,
    bool DryRun,
    string? RemovedDirectory,
    string? KeptDirectory,
    PluginInfo? Plugin,
    bool Leaked,
    string Message);
