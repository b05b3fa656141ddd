using System.Security.Cryptography;
using Carapace.Plugins.Packaging;

namespace Carapace.Plugins.Lock;

/// <summary>Stable codes of <see cref="IntegrityResult.Code"/>.</summary>
internal static class IntegrityCodes
{
    /// <summary>The installed directory does not exist.</summary>
    public const string Missing = "integrity_missing";

    /// <summary>The files hash to a different content digest than the lock entry pins.</summary>
    public const string DigestMismatch = "integrity_digest_mismatch";

    /// <summary><c>plugin.sig</c> was added, removed or changed since install.</summary>
    public const string SignatureChanged = "integrity_signature_changed";

    /// <summary>The directory cannot be hashed (a symlink, device file, bad name or limit); the inner package code says which.</summary>
    public const string Unreadable = "integrity_unreadable";
}

/// <summary>The outcome of <see cref="PluginIntegrity.Check"/>; <see cref="ActualDigest"/> is set whenever hashing succeeded.</summary>
internal sealed record IntegrityResult(bool IsIntact, string? Code, string Message, ContentDigest? ActualDigest)
{
    public static IntegrityResult Intact(ContentDigest digest) => new(true, null, $"content matches sha256:{digest.Hex}", digest);
}

/// <summary>
/// Recomputes an installed plugin's content digest and compares it, and the signature file's hash,
/// with its lock entry. Pure over the directory and the entry; the runtime runs it at every load.
/// </summary>
internal static class PluginIntegrity
{
    public static IntegrityResult Check(string installedDirectory, PluginLockEntry entry, PackageLimits? limits = null)
    {
        if (!Directory.Exists(installedDirectory))
        {
            return new(false, IntegrityCodes.Missing, $"'{installedDirectory}' does not exist", null);
        }

        ContentDigest actual;
        try
        {
            (actual, _) = PackageDirectoryWalker.ComputeDigest(installedDirectory, limits);
        }
        catch (PackageException ex)
        {
            return new(false, IntegrityCodes.Unreadable, $"{ex.Code}: {ex.Message}", null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(false, IntegrityCodes.Unreadable, ex.Message, null);
        }

        if (!actual.Equals(entry.Sha256))
        {
            return new(false, IntegrityCodes.DigestMismatch,
                $"plugin '{entry.Id}' {entry.Version} was installed as sha256:{entry.Sha256.Hex} but its files now hash to sha256:{actual.Hex}", actual);
        }

        var signaturePath = Path.Combine(installedDirectory, PackageLayout.SignatureFileName);
        var signatureSha = File.Exists(signaturePath) ? Convert.ToHexStringLower(HashFile(signaturePath)) : null;
        if (!string.Equals(signatureSha, entry.SignatureSha256, StringComparison.Ordinal))
        {
            return new(false, IntegrityCodes.SignatureChanged,
                $"plugin '{entry.Id}' {entry.Version}: {PackageLayout.SignatureFileName} was {(entry.SignatureSha256 is null ? "added" : signatureSha is null ? "removed" : "changed")} since install", actual);
        }

        return IntegrityResult.Intact(actual);
    }

    private static byte[] HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return SHA256.HashData(stream);
    }
}
