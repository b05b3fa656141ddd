using System.Globalization;
using System.Text;

namespace Carapace.Sandbox.MacOS;

/// <summary>
/// Generates the Seatbelt (SBPL) profile for a request. Deny by default; read+exec on read-only roots,
/// full file access on read-write roots, the three safe devices, no network or TCP to granted ports only.
/// Paths are quoted SBPL strings; a path with a control character is refused rather than rewritten.
/// </summary>
internal static class SeatbeltProfile
{
    /// <summary>Read-only system locations a macOS process needs to start (dyld cache, frameworks).</summary>
    public static IReadOnlyList<string> SystemRoots { get; } =
        ["/usr", "/bin", "/sbin", "/System", "/Library/Apple", "/private/etc", "/private/var/db/timezone", "/dev"];

    public static string Generate(IEnumerable<string> readOnlyRoots, IEnumerable<string> readWriteRoots, SandboxNetwork network)
    {
        var sb = new StringBuilder();
        sb.Append("(version 1)\n");
        sb.Append("(deny default)\n");
        sb.Append("(allow process-exec)\n");
        sb.Append("(allow process-fork)\n");
        sb.Append("(allow signal (target same-sandbox))\n");
        sb.Append("(allow sysctl-read)\n");
        sb.Append("(allow mach-lookup (global-name \"com.apple.system.logger\") (global-name \"com.apple.system.notification_center\"))\n");
        sb.Append("(allow file-read-metadata (literal \"/\"))\n");

        var ro = readOnlyRoots.ToList();
        if (ro.Count > 0)
        {
            sb.Append("(allow file-read* file-map-executable");
            foreach (var root in ro)
            {
                sb.Append(" (subpath ").Append(Quote(root)).Append(')');
            }

            sb.Append(")\n");
        }

        var rw = readWriteRoots.ToList();
        if (rw.Count > 0)
        {
            sb.Append("(allow file-read* file-write* file-map-executable");
            foreach (var root in rw)
            {
                sb.Append(" (subpath ").Append(Quote(root)).Append(')');
            }

            sb.Append(")\n");
        }

        sb.Append("(allow file-read* file-write-data (literal \"/dev/null\") (literal \"/dev/zero\") (literal \"/dev/urandom\"))\n");

        if (network.Mode == SandboxNetworkMode.TcpConnectPorts)
        {
            foreach (var port in network.ConnectPorts)
            {
                sb.Append("(allow network-outbound (remote tcp \"*:")
                  .Append(port.ToString(CultureInfo.InvariantCulture)).Append("\"))\n");
            }
        }

        // network none: nothing else is allowed; (deny default) covers every network operation.
        return sb.ToString();
    }

    /// <summary>An SBPL string literal: backslash and quote escaped; control characters refused.</summary>
    public static string Quote(string path)
    {
        if (path.Any(char.IsControl))
        {
            throw new InvalidSandboxRequestException($"path '{path.Replace("\n", "\\n", StringComparison.Ordinal)}' contains a control character");
        }

        return "\"" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>The POSIX shell prologue that applies rlimits (soft = hard) before exec'ing sandbox-exec.</summary>
    public static string LimitsScript(SandboxLimits limits)
    {
        var sb = new StringBuilder();
        void Add(string flag, long? value)
        {
            if (value is { } v)
            {
                sb.Append("ulimit -H -S ").Append(flag).Append(' ').Append(v.ToString(CultureInfo.InvariantCulture)).Append(" || exit 125; ");
            }
        }

        Add("-c", 0);
        Add("-t", limits.CpuSeconds);
        Add("-n", limits.OpenFiles);
        Add("-u", limits.Processes);
        Add("-f", limits.FileSizeBytes is { } f ? (f + 511) / 512 : null);
        sb.Append("exec /usr/bin/sandbox-exec -f \"$0\" \"$@\"");
        return sb.ToString();
    }
}
