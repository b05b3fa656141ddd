using System.Text.RegularExpressions;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Lock;

/// <summary>A vetting finding as kept in the lock file (code and one-line message).</summary>
internal sealed record LockedFinding(string Code, string Message);

/// <summary>
/// One managed plugin pinned in <c>plugins-lock.yaml</c>: which version of which id is installed,
/// the content digest its files must hash to, who signed it (and the hash of the signature file
/// that says so), when and from where it was installed, and which operator overrides were used.
/// </summary>
internal sealed partial record PluginLockEntry
{
    /// <summary>Most findings copied into the lock file; <see cref="FindingCount"/> keeps the full count.</summary>
    public const int MaxRecordedFindings = 100;

    /// <summary>
    /// <see cref="Source"/> of a linked development directory (<c>cara plugins install DIR --link</c>):
    /// the plugin loads from that directory in place, nothing is copied under the state directory.
    /// </summary>
    public const string LinkSourcePrefix = "link:";

    public required string Id { get; init; }
    public required string Version { get; init; }
    public required ContentDigest Sha256 { get; init; }
    public PublisherKey? PublisherKey { get; init; }

    /// <summary>Lowercase hex SHA-256 of the installed <c>plugin.sig</c>; null when unsigned.</summary>
    public string? SignatureSha256 { get; init; }

    public required DateTimeOffset InstalledAt { get; init; }

    /// <summary>Where the package came from (a path or URL), for display only.</summary>
    public required string Source { get; init; }

    /// <summary>The package was accepted unsigned or from an untrusted publisher with <c>--allow-unsigned</c>.</summary>
    public bool AllowUnsigned { get; init; }

    /// <summary>The package was accepted despite vetting findings with <c>--allow-unvetted</c>.</summary>
    public bool AllowUnvetted { get; init; }

    public int FindingCount { get; init; }

    public IReadOnlyList<LockedFinding> Findings { get; init; } = [];

    /// <summary>
    /// The entry an install records: digest and signature facts from verification, findings from
    /// vetting, the overrides only when they were actually needed.
    /// </summary>
    public static PluginLockEntry ForInstall(
        string id, string version, StagedPackage package, SignatureVerification signature, VettingReport vetting,
        string source, DateTimeOffset installedAt, byte[]? signatureFile) =>
        ForInstall(id, version, package.Digest, signature, vetting, source, installedAt, signatureFile);

    /// <inheritdoc cref="ForInstall(string, string, StagedPackage, SignatureVerification, VettingReport, string, DateTimeOffset, byte[])"/>
    public static PluginLockEntry ForInstall(
        string id, string version, ContentDigest digest, SignatureVerification signature, VettingReport vetting,
        string source, DateTimeOffset installedAt, byte[]? signatureFile)
    {
        var entry = new PluginLockEntry
        {
            Id = id,
            Version = version,
            Sha256 = digest,
            PublisherKey = signature.Publisher,
            SignatureSha256 = signatureFile is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(signatureFile)),
            InstalledAt = installedAt,
            Source = source,
            AllowUnsigned = signature.UsedOverride,
            AllowUnvetted = !vetting.IsClean,
            FindingCount = vetting.Findings.Count,
            Findings = vetting.Findings.Take(MaxRecordedFindings).Select(f => new LockedFinding(f.Code, f.Message)).ToList(),
        };
        entry.Validate();
        return entry;
    }

    /// <summary>True for a linked development directory (see <see cref="LinkSourcePrefix"/>).</summary>
    public bool IsLinked => Source.StartsWith(LinkSourcePrefix, StringComparison.Ordinal);

    /// <summary>The linked directory, or null for a copy under the state directory.</summary>
    public string? LinkedDirectory => IsLinked ? Source[LinkSourcePrefix.Length..] : null;

    public bool Equals(PluginLockEntry? other) =>
        other is not null
        && Id == other.Id && Version == other.Version && Sha256.Equals(other.Sha256)
        && Nullable.Equals(PublisherKey, other.PublisherKey) && SignatureSha256 == other.SignatureSha256
        && InstalledAt == other.InstalledAt && Source == other.Source
        && AllowUnsigned == other.AllowUnsigned && AllowUnvetted == other.AllowUnvetted
        && FindingCount == other.FindingCount && Findings.SequenceEqual(other.Findings);

    public override int GetHashCode() => HashCode.Combine(Id, Version, Sha256);

    /// <summary>True for an id usable as a directory name: lowercase letters, digits, hyphens, at most 32.</summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>True for a version usable as a directory name: semver characters, at most 64, not '.' or '..'.</summary>
    public static bool IsValidVersion(string? version) =>
        version is not null && VersionPattern().IsMatch(version) && version is not ("." or "..");

    /// <summary>Throws <see cref="ArgumentException"/> when a field could not be written and read back.</summary>
    public void Validate()
    {
        if (!IsValidId(Id))
        {
            throw new ArgumentException($"plugin id '{Id}' must be 1-32 lowercase letters, digits or hyphens");
        }

        if (!IsValidVersion(Version))
        {
            throw new ArgumentException($"plugin version '{Version}' must be 1-64 characters of [0-9A-Za-z.+-]");
        }

        if (SignatureSha256 is not null && !ContentDigest.TryParse(SignatureSha256, out _))
        {
            throw new ArgumentException("signatureSha256 must be 64 hex characters");
        }

        if ((PublisherKey is null) != (SignatureSha256 is null))
        {
            throw new ArgumentException("publisherKey and signatureSha256 are recorded together or not at all");
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[0-9A-Za-z.+-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
