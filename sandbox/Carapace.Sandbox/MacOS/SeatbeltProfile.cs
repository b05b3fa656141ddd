using System.Globalization;
using System.Text;

namespace Carapace.Sandbox.MacOS;

/// <summary>
/// Generates the Seatbelt (SBPL) profile for a request. Deny by default; read+exec on read-only roots,
/// full file access on read-write roots, exec only of programs inside those roots, the three safe devices,
/// no network or TCP to granted ports only. Paths are quoted SBPL strings; a path with a control character
/// is refused rather than rewritten.
/// </summary>
internal static class SeatbeltProfile
{
    public const string SandboxExecPath = "/usr/bin/sandbox-exec";

    /// <summary>Starts each run in its own session (there is no setsid(1) on macOS); part of the base system.</summary>
    public const string PerlPath = "/usr/bin/perl";

    /// <summary>Read-only system locations a macOS process needs to start (dyld cache, frameworks).</summary>
    public static IReadOnlyList<string> SystemRoots { get; } =
        ["/usr", "/bin", "/sbin", "/System", "/Library/Apple", "/private/etc", "/private/var/db/timezone", "/dev"];

    public static string Generate(IEnumerable<string> readOnlyRoots, IEnumerable<string> readWriteRoots, SandboxNetwork network)
    {
        var sb = new StringBuilder();
        sb.Append("(version 1)\n");
        sb.Append("(deny default)\n");
        var ro = readOnlyRoots.ToList();
        var rw = readWriteRoots.ToList();
        if (ro.Count + rw.Count > 0)
        {
            // Like Landlock's EXECUTE right: only programs inside a root may be exec'd (the target included).
            sb.Append("(allow process-exec");
            foreach (var root in ro.Concat(rw))
            {
                sb.Append(" (subpath ").Append(Quote(root)).Append(')');
            }

            sb.Append(")\n");
        }

        sb.Append("(allow process-fork)\n");
        sb.Append("(allow signal (target same-sandbox))\n");
        sb.Append("(allow sysctl-read)\n");
        sb.Append("(allow mach-lookup (global-name \"com.apple.system.logger\") (global-name \"com.apple.system.notification_center\"))\n");
        sb.Append("(allow file-read-metadata (literal \"/\"))\n");

        if (ro.Count > 0)
        {
            sb.Append("(allow file-read* file-map-executable");
            foreach (var root in ro)
            {
                sb.Append(" (subpath ").Append(Quote(root)).Append(')');
            }

            sb.Append(")\n");
        }

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

    /// <summary>
    /// The POSIX shell prologue, run as <c>/bin/sh -c &lt;prologue&gt; &lt;profile&gt; &lt;exe&gt; &lt;args…&gt;</c>:
    /// rlimits with soft = hard, then perl makes the process a session and group leader (so the broker's
    /// <c>kill(-pid)</c> reaches every member that did not call setsid itself), resets SIGPIPE/SIGXFSZ
    /// (ignored by the .NET runtime, and ignored dispositions survive exec) and empties the signal mask,
    /// then execs sandbox-exec with the profile file. The pid never changes, so pgid = sid = the broker's
    /// child. Any failure before sandbox-exec runs is exit 125 (a sandbox failure, never a result).
    /// </summary>
    public static string Prologue(SandboxLimits limits, string sandboxExec = SandboxExecPath, string perl = PerlPath)
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
        sb.Append("exec ").Append(ShellWord(perl)).Append(" -e '")
          .Append("use POSIX (); POSIX::setsid() > 0 or exit 125; ")
          .Append("$SIG{PIPE} = $SIG{XFSZ} = \"DEFAULT\"; ")
          .Append("POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new()) or exit 125; ")
          .Append("exec { $ARGV[0] } @ARGV; exit 125")
          .Append("' ").Append(ShellWord(sandboxExec)).Append(" -f \"$0\" \"$@\"");
        return sb.ToString();
    }

    private static string ShellWord(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_')
            ? path
            : throw new InvalidSandboxRequestException($"helper path '{path}' must be a plain absolute path");
}
