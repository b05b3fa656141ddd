using System.Diagnostics.CodeAnalysis;
using Carapace.Abstractions.Credentials;

namespace Carapace.Host.Credentials;

/// <summary>
/// A credential account key <c>kind:scope:id</c> (e.g. <c>gateway:token:default</c>,
/// <c>plugin:weather:apiKey</c>): at most 64 characters; <c>kind</c> is lower-case
/// <c>[a-z][a-z0-9_-]*</c>; <c>scope</c> and <c>id</c> are <c>[A-Za-z0-9._-]+</c> and not only dots.
/// The same string is the Secret Service <c>key</c> attribute, the keychain account and the index key.
/// </summary>
internal readonly record struct CredentialKey
{
    public const int MaxLength = 64;
    public const string PluginKind = "plugin";

    private CredentialKey(string kind, string scope, string id)
    {
        Kind = kind;
        Scope = scope;
        Id = id;
    }

    public string Kind { get; }
    public string Scope { get; }
    public string Id { get; }

    /// <summary>The owning plugin id for <c>plugin:&lt;id&gt;:…</c> keys, else null.</summary>
    public string? OwnerPlugin => Kind == PluginKind ? Scope : null;

    public override string ToString() => $"{Kind}:{Scope}:{Id}";

    public static CredentialKey Create(string kind, string scope, string id) => Parse($"{kind}:{scope}:{id}");

    /// <exception cref="CredentialException">Code <c>invalid_credential_key</c>.</exception>
    public static CredentialKey Parse(string? text) =>
        TryParse(text, out var key, out var error)
            ? key
            : throw new CredentialException(CredentialErrorCodes.InvalidKey, error,
                "use kind:scope:id with letters, digits, '.', '_' or '-' (at most 64 characters), e.g. gateway:token:default");

    public static bool TryParse(string? text, out CredentialKey key, [NotNullWhen(false)] out string? error)
    {
        key = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "credential key is empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"credential key is {text.Length} characters; the limit is {MaxLength}";
            return false;
        }

        var parts = text.Split(':');
        if (parts.Length != 3)
        {
            error = "credential key must have exactly three parts: kind:scope:id";
            return false;
        }

        if (!IsKind(parts[0]))
        {
            error = "credential key kind must be lower-case letters, digits, '_' or '-', starting with a letter";
            return false;
        }

        if (!IsSegment(parts[1]) || !IsSegment(parts[2]))
        {
            error = "credential key scope and id must be letters, digits, '.', '_' or '-' (and not only dots)";
            return false;
        }

        key = new CredentialKey(parts[0], parts[1], parts[2]);
        error = null;
        return true;
    }

    internal static bool IsSegment(string segment)
    {
        if (segment.Length == 0 || segment.All(c => c == '.'))
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsKind(string kind)
    {
        if (kind.Length == 0 || !char.IsAsciiLetterLower(kind[0]))
        {
            return false;
        }

        foreach (var c in kind)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
