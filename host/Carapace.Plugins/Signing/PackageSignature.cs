using System.Text;
using Carapace.Plugins.Packaging;

namespace Carapace.Plugins.Signing;

/// <summary>
/// The detached signature file (<c>plugin.sig</c>). UTF-8 text, exactly four lines:
/// <code>
/// carapace-plugin-signature-v1
/// publisher: &lt;64 hex: Ed25519 public key&gt;
/// digest: sha256:&lt;64 hex: content digest&gt;
/// signature: &lt;128 hex: Ed25519 over "carapace-plugin-v1\0" + the 32 digest bytes&gt;
/// </code>
/// The digest line lets a mismatch be reported as such instead of as a bad signature; what is
/// trusted is only the signature over the digest recomputed from the files.
/// </summary>
internal sealed record PackageSignature(PublisherKey Publisher, ContentDigest Digest, ReadOnlyMemory<byte> Signature)
{
    public const string Header = "carapace-plugin-signature-v1";

    /// <summary>Signature files are tiny; anything larger is refused unread.</summary>
    public const int MaxFileBytes = 4096;

    private const int SignatureSize = 64;

    public string Serialize() =>
        $"{Header}\npublisher: {Publisher.Hex}\ndigest: sha256:{Digest.Hex}\nsignature: {Convert.ToHexStringLower(Signature.Span)}\n";

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(Serialize());

    /// <summary>Parses a signature file; returns false with a reason for anything but the exact format.</summary>
    public static bool TryParse(ReadOnlySpan<byte> content, out PackageSignature? signature, out string reason)
    {
        signature = null;
        if (content.Length > MaxFileBytes)
        {
            reason = $"the signature file is larger than {MaxFileBytes} bytes";
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            reason = "the signature file is not UTF-8 text";
            return false;
        }

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 5 && lines[4].Length == 0)
        {
            lines = lines[..4];
        }

        if (lines.Length != 4 || lines[0] != Header)
        {
            reason = $"the signature file must be four lines starting with '{Header}'";
            return false;
        }

        if (!TryField(lines[1], "publisher", out var publisherText) || !PublisherKey.TryParse(publisherText, out var publisher))
        {
            reason = "line 2 must be 'publisher: <64 hex characters>'";
            return false;
        }

        if (!TryField(lines[2], "digest", out var digestText)
            || !digestText.StartsWith("sha256:", StringComparison.Ordinal)
            || !ContentDigest.TryParse(digestText, out var digest))
        {
            reason = "line 3 must be 'digest: sha256:<64 hex characters>'";
            return false;
        }

        if (!TryField(lines[3], "signature", out var signatureText)
            || signatureText.Length != SignatureSize * 2
            || !signatureText.All(char.IsAsciiHexDigit))
        {
            reason = "line 4 must be 'signature: <128 hex characters>'";
            return false;
        }

        signature = new PackageSignature(publisher, digest, Convert.FromHexString(signatureText));
        reason = string.Empty;
        return true;
    }

    private static bool TryField(string line, string name, out string value)
    {
        var prefix = name + ": ";
        value = line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..] : string.Empty;
        return value.Length > 0;
    }
}
