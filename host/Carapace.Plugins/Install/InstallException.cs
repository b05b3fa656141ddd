using Carapace.Plugins.Runtime;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Install;

/// <summary>What kind of refusal an install, update or uninstall ended in (the control API maps it to a status).</summary>
internal enum InstallFailure
{
    /// <summary>The request itself is malformed.</summary>
    InvalidRequest,

    /// <summary>The caller may not ask for this (a local path from a non-loopback client).</summary>
    Forbidden,

    /// <summary>The plugin to update or uninstall is not installed.</summary>
    NotFound,

    /// <summary>The request conflicts with what is installed or with the host's state.</summary>
    Conflict,

    /// <summary>The package was checked and refused (limits, manifest, ABI, signature, vetting, activation).</summary>
    Refused,

    /// <summary>
    /// Not a refusal: the lock was committed (the new version is installed) but it did not go live; a
    /// previous version may keep serving. <see cref="InstallCodes.InstalledNotActive"/>.
    /// </summary>
    NotActive,
}

/// <summary>
/// An install, update or uninstall was refused. Nothing changed: the previous version (if any) is
/// still installed and serving. The one exception is <see cref="InstallFailure.NotActive"/>: committed, not live. <see cref="Code"/> is stable (see <see cref="InstallCodes"/>, and the
/// package, signature, integrity and directory-safety codes it passes through).
/// </summary>
internal sealed class InstallException : Exception
{
    public InstallException(InstallFailure failure, string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Code = code;
    }

    public InstallException() : this(InstallFailure.Refused, InstallCodes.ActivationFailed, "install refused") { }

    public InstallException(string message) : this(InstallFailure.Refused, InstallCodes.ActivationFailed, message) { }

    public InstallException(string message, Exception innerException) : this(InstallFailure.Refused, InstallCodes.ActivationFailed, message, innerException) { }

    public InstallFailure Failure { get; }

    public string Code { get; }

    /// <summary>Vetting findings, for <see cref="InstallCodes.VettingRefused"/>.</summary>
    public IReadOnlyList<VettingFinding> Findings { get; init; } = [];

    /// <summary>The plugin as it is after the refusal (e.g. the old version still active).</summary>
    public PluginInfo? Plugin { get; init; }
}

/// <summary>Stable codes of install, update, uninstall and doctor beyond the package/signature/integrity ones.</summary>
internal static class InstallCodes
{
    public const string ManifestInvalid = "manifest_invalid";
    public const string AbiIncompatible = "abi_incompatible";
    public const string VettingRefused = Lock.PluginLoadCheck.VettingRefused;
    public const string Sha256Changed = "sha256_changed";
    public const string AlreadyInstalled = "plugin_already_installed";
    public const string NotInstalled = "plugin_not_installed";
    public const string NotManaged = "plugin_not_managed";
    public const string IdConflict = "plugin_id_conflict";
    public const string ActivationFailed = "plugin_activation_failed";
    public const string Leaked = PluginOperationCodes.Leaked;
    public const string LockInvalid = Lock.PluginLockException.Code;
    public const string PolicyInvalid = "signature_policy_invalid";
    public const string Unavailable = "managed_plugins_unavailable";
    public const string LinkNotDirectory = "link_not_a_directory";
    public const string StateUnwritable = "plugins_state_unwritable";
    public const string InstalledNotActive = "plugin_installed_not_active";
}
