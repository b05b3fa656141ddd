namespace Carapace.Plugins.Packaging;

/// <summary>
/// Validates a relative path inside a package and returns it in canonical form ('/' separators).
/// </summary>
/// <remarks>
/// The rules are deliberately narrower than what file systems allow. Paths are printable ASCII
/// without <c>\ : * ? " &lt; &gt; |</c>, so that no two paths alias on a case- or
/// normalization-insensitive file system (duplicates are compared case-insensitively, and ASCII has
/// no Unicode normalization forms), ordinal sorting equals byte sorting for the digest, and a path
/// never carries a NUL or newline that could break the digest listing. <c>dotnet publish</c> output
/// always fits.
/// </remarks>
internal static class PackagePath
{
    private const string ForbiddenCharacters = "\\:*?\"<>|";

    /// <summary>Returns the canonical path or throws a <see cref="PackageException"/> naming the rule.</summary>
    public static string Validate(string rawPath, PackageLimits limits)
    {
        if (string.IsNullOrEmpty(rawPath))
        {
            throw Invalid(rawPath, "an entry has an empty name");
        }

        if (rawPath[0] == '/' || rawPath[0] == '\\' || HasDriveLetter(rawPath))
        {
            throw new PackageException(PackageErrorCodes.AbsolutePath,
                $"entry '{Printable(rawPath)}' has an absolute path; package paths are relative", Printable(rawPath));
        }

        if (rawPath.Contains('\\', StringComparison.Ordinal))
        {
            // A backslash is a separator on Windows, so 'a\..\..\x' would climb out there.
            throw new PackageException(PackageErrorCodes.PathTraversal,
                $"entry '{Printable(rawPath)}' contains a backslash; package paths use '/'", Printable(rawPath));
        }

        var segments = rawPath.Split('/');
        if (segments.Any(s => s == ".."))
        {
            throw new PackageException(PackageErrorCodes.PathTraversal,
                $"entry '{Printable(rawPath)}' contains a '..' segment", Printable(rawPath));
        }

        if (rawPath.Length > limits.MaxPathLength)
        {
            throw Invalid(rawPath, $"entry path is longer than {limits.MaxPathLength} characters");
        }

        if (segments.Length > limits.MaxPathDepth)
        {
            throw Invalid(rawPath, $"entry path is nested deeper than {limits.MaxPathDepth} levels");
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment == ".")
            {
                throw Invalid(rawPath, $"entry '{Printable(rawPath)}' has an empty or '.' segment");
            }

            if (segment[^1] is '.' or ' ')
            {
                // Windows silently strips trailing dots and spaces, so 'a.dll.' would alias 'a.dll'.
                throw Invalid(rawPath, $"entry '{Printable(rawPath)}' has a segment ending in '.' or ' '");
            }

            foreach (var c in segment)
            {
                if (c < 0x20 || c > 0x7E || ForbiddenCharacters.Contains(c, StringComparison.Ordinal))
                {
                    throw Invalid(rawPath,
                        $"entry '{Printable(rawPath)}' contains a character outside printable ASCII or one of {ForbiddenCharacters}");
                }
            }
        }

        return rawPath;
    }

    /// <summary>The key under which two paths count as the same entry (case-insensitive).</summary>
    public static string CollisionKey(string canonicalPath) => canonicalPath.ToUpperInvariant();

    /// <summary>The path with control characters escaped, safe to show in a one-line message.</summary>
    public static string Printable(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return string.Empty;
        }

        var builder = new System.Text.StringBuilder(Math.Min(path.Length, 200));
        foreach (var c in path.Length > 200 ? path[..200] : path)
        {
            builder.Append(c is < (char)0x20 or (char)0x7F ? $"\\x{(int)c:x2}" : c.ToString());
        }

        return path.Length > 200 ? builder.Append('…').ToString() : builder.ToString();
    }

    private static bool HasDriveLetter(string path) =>
        path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]);

    private static PackageException Invalid(string path, string message) =>
        new(PackageErrorCodes.InvalidPath, message, Printable(path));
}
