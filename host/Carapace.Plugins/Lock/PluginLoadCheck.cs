using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Lock;

/// <summary>One reason a managed plugin must not be loaded.</summary>
internal sealed record LoadProblem(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of <see cref="PluginLoadCheck.Verify"/>.</summary>
internal sealed record PluginLoadVerdict(
    IReadOnlyList<LoadProblem> Problems,
    IReadOnlyList<LoadProblem> Warnings,
    IntegrityResult Integrity,
    SignatureVerification? Signature)
{
    public bool MayLoad => Problems.Count == 0;
}

/// <summary>
/// Everything the runtime must re-check before loading a managed plugin, in one pure call over the
/// installed directory, its lock entry and the current policy: directory safety, content digest and
/// signature file against the lock, then signature policy (with the override recorded at install,
/// so tightening <c>plugins.signature.*</c> takes effect at the next load). Vetting is not repeated:
/// its result is pinned by the digest.
/// </summary>
internal static class PluginLoadCheck
{
    /// <summary>The lock entry lists vetting findings but does not record the <c>--allow-unvetted</c> override.</summary>
    public const string VettingNotAllowed = "vetting_not_allowed";

    /// <summary>Vetting found banned API use and <c>--allow-unvetted</c> was not given (install, or a linked directory at load).</summary>
    public const string VettingRefused = "vetting_refused";

    public static PluginLoadVerdict Verify(string pluginsRoot, string installedDirectory, PluginLockEntry entry, SignaturePolicy policy)
    {
        var problems = new List<LoadProblem>();
        var warnings = new List<LoadProblem>();

        var safety = PluginDirectorySafety.Check(pluginsRoot, installedDirectory);
        problems.AddRange(safety.Problems.Select(p => new LoadProblem(p.Code, p.Message)));
        warnings.AddRange(safety.Warnings.Select(p => new LoadProblem(p.Code, p.Message)));

        var integrity = PluginIntegrity.Check(installedDirectory, entry);
        if (!integrity.IsIntact)
        {
            problems.Add(new LoadProblem(integrity.Code!, integrity.Message));
            return new PluginLoadVerdict(problems, warnings, integrity, null);
        }

        var signature = SignatureVerifier.Verify(
            integrity.ActualDigest!.Value, SignatureVerifier.ReadSignatureFile(installedDirectory), policy, entry.AllowUnsigned);
        if (!signature.IsAccepted)
        {
            problems.Add(new LoadProblem(signature.Code!, signature.Message));
        }
        else if (!Nullable.Equals(signature.Publisher, entry.PublisherKey))
        {
            problems.Add(new LoadProblem(SigningErrorCodes.UntrustedPublisher,
                $"plugin '{entry.Id}' is signed by {signature.Publisher?.Hex ?? "nobody"} but the lock file records {entry.PublisherKey?.Hex ?? "no publisher"}"));
        }

        if (entry.FindingCount > 0 && !entry.AllowUnvetted)
        {
            problems.Add(new LoadProblem(VettingNotAllowed,
                $"plugin '{entry.Id}' has {entry.FindingCount} vetting finding(s) but was not installed with --allow-unvetted"));
        }

        return new PluginLoadVerdict(problems, warnings, integrity, signature);
    }

    /// <summary>
    /// The check for a linked development directory (<c>--link</c>). Its files change with every build,
    /// so nothing is pinned: directory safety (the directory is its own root), then the signature policy
    /// over the digest as it is now (with the <c>--allow-unsigned</c> recorded at link time), then vetting
    /// again, since no digest vouches for an earlier scan.
    /// </summary>
    public static PluginLoadVerdict VerifyLinked(string directory, PluginLockEntry entry, SignaturePolicy policy)
    {
        var problems = new List<LoadProblem>();
        var warnings = new List<LoadProblem>();
        var safety = PluginDirectorySafety.Check(directory);
        problems.AddRange(safety.Problems.Select(p => new LoadProblem(p.Code, p.Message)));
        warnings.AddRange(safety.Warnings.Select(p => new LoadProblem(p.Code, p.Message)));
        if (!Directory.Exists(directory))
        {
            var missing = new IntegrityResult(false, IntegrityCodes.Missing, $"linked directory '{directory}' does not exist", null);
            return new PluginLoadVerdict([new LoadProblem(IntegrityCodes.Missing, missing.Message)], warnings, missing, null);
        }

        ContentDigest digest;
        try
        {
            (digest, _) = PackageDirectoryWalker.ComputeDigest(directory);
        }
        catch (Exception ex) when (ex is PackageException or IOException or UnauthorizedAccessException)
        {
            var detail = ex is PackageException pe ? $"{pe.Code}: {pe.Message}" : ex.Message;
            var unreadable = new IntegrityResult(false, IntegrityCodes.Unreadable, detail, null);
            problems.Add(new LoadProblem(IntegrityCodes.Unreadable, detail));
            return new PluginLoadVerdict(problems, warnings, unreadable, null);
        }

        var signature = SignatureVerifier.Verify(digest, SignatureVerifier.ReadSignatureFile(directory), policy, entry.AllowUnsigned);
        if (!signature.IsAccepted)
        {
            problems.Add(new LoadProblem(signature.Code!, signature.Message));
        }

        var vetting = PluginVetter.Vet(directory);
        if (!vetting.IsClean && !entry.AllowUnvetted)
        {
            problems.Add(new LoadProblem(VettingRefused,
                $"plugin '{entry.Id}' has {vetting.Findings.Count} vetting finding(s) and was not linked with --allow-unvetted; first: {vetting.Findings[0].Message}"));
        }

        return new PluginLoadVerdict(problems, warnings, IntegrityResult.Intact(digest), signature);
    }
}
