namespace Carapace.Plugins.Signing;

/// <summary>An Ed25519 public key identifying a publisher, written as 64 lowercase hex characters.</summary>
internal readonly record struct PublisherKey
{
    public const int Size = 32;

    private PublisherKey(string hex) => Hex = hex;

    public string Hex { get; }

    public static PublisherKey FromBytes(ReadOnlySpan<byte> raw) =>
        raw.Length == Size ? new PublisherKey(Convert.ToHexStringLower(raw)) : throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(raw));

    public static bool TryParse(string? text, out PublisherKey key)
    {
        key = default;
        var hex = text?.Trim();
        if (hex is null || hex.Length != Size * 2 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        key = new PublisherKey(hex.ToLowerInvariant());
        return true;
    }

    public static PublisherKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException("a publisher key is 64 hex characters (an Ed25519 public key)");

    public byte[] ToBytes() => Convert.FromHexString(Hex);

    public override string ToString() => Hex;

    public bool Equals(PublisherKey other) => string.Equals(Hex, other.Hex, StringComparison.Ordinal);

    public override int GetHashCode() => Hex is null ? 0 : StringComparer.Ordinal.GetHashCode(Hex);
}
