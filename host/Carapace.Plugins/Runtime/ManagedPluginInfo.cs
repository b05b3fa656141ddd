namespace Carapace.Plugins.Runtime;

/// <summary>
/// What the lock file pins for a managed or linked plugin, and what the last load check said about
/// its signature (<c>verified</c>, <c>unsigned</c>, <c>untrusted</c>, <c>refused</c>, or
/// <c>unchecked</c> when the check stopped earlier, e.g. at a digest mismatch).
/// </summary>
internal sealed record ManagedPluginInfo(
    string Sha256,
    string? Publisher,
    string Signature,
    bool AllowUnsigned,
    bool AllowUnvetted,
    int FindingCount,
    DateTimeOffset InstalledAt,
    string InstalledFrom);
