namespace Carapace.Host.Outbound;

/// <summary>
/// Host names refused before any lookup: names that mean "this machine" or a cloud metadata service
/// whatever DNS says. Resolved addresses are checked separately; this catches names an /etc/hosts or a
/// split-horizon resolver might map somewhere the address check alone would not expect.
/// </summary>
internal static class HostNamePolicy
{
    private static readonly HashSet<string> BlockedNames = new(StringComparer.Ordinal)
    {
        "localhost",
        "localhost.localdomain",
        "metadata",
        "metadata.google.internal",
        "instance-data",
        "internal",
    };

    private static readonly string[] BlockedSuffixes = [".localhost", ".internal"];

    /// <summary>Lower-cases (invariant) and drops one trailing dot (the fully-qualified form).</summary>
    public static string Normalize(string host)
    {
        var lower = host.ToLowerInvariant();
        return lower.EndsWith('.') ? lower[..^1] : lower;
    }

    /// <summary>The reason <paramref name="host"/> is refused by name, or <c>null</c>.</summary>
    /// <param name="host">An ASCII (IDNA-encoded) host name, as <see cref="Uri.IdnHost"/> gives it.</param>
    public static string? BlockedReason(string host)
    {
        var name = Normalize(host);
        if (BlockedNames.Contains(name))
        {
            return "blocked_name(" + name + ")";
        }

        foreach (var suffix in BlockedSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return "blocked_name(*" + suffix + ")";
            }
        }

        return null;
    }
}
