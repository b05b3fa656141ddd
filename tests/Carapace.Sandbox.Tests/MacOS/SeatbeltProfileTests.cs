using Carapace.Sandbox.MacOS;

namespace Carapace.Sandbox.Tests.MacOS;

public sealed class SeatbeltProfileTests
{
    [Fact]
    public void Deny_network_profile_text()
    {
        var text = SeatbeltProfile.Generate(["/usr", "/opt/my tools"], ["/private/var/folders/x/run-1"], SandboxNetwork.None);

        Assert.Equal(
            "(version 1)\n" +
            "(deny default)\n" +
            "(allow process-exec (subpath \"/usr\") (subpath \"/opt/my tools\") (subpath \"/private/var/folders/x/run-1\"))\n" +
            "(allow process-fork)\n" +
            "(allow signal (target same-sandbox))\n" +
            "(allow sysctl-read)\n" +
            "(allow mach-lookup (global-name \"com.apple.system.logger\") (global-name \"com.apple.system.notification_center\"))\n" +
            "(allow file-read-metadata (literal \"/\"))\n" +
            "(allow file-read* file-map-executable (subpath \"/usr\") (subpath \"/opt/my tools\"))\n" +
            "(allow file-read* file-write* file-map-executable (subpath \"/private/var/folders/x/run-1\"))\n" +
            "(allow file-read* file-write-data (literal \"/dev/null\") (literal \"/dev/zero\") (literal \"/dev/urandom\"))\n",
            text);
        Assert.DoesNotContain("network", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Port_grants_allow_outbound_tcp_to_those_ports_only()
    {
        var text = SeatbeltProfile.Generate(["/usr"], [], SandboxNetwork.TcpConnect(443, 8443));

        Assert.EndsWith("(allow network-outbound (remote tcp \"*:443\"))\n(allow network-outbound (remote tcp \"*:8443\"))\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("network*", text, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_and_backslashes_are_escaped()
    {
        Assert.Equal("\"/a \\\"b\\\" \\\\c (d);\"", SeatbeltProfile.Quote("/a \"b\" \\c (d);"));
    }

    [Fact]
    public void Control_characters_are_refused_not_rewritten()
    {
        Assert.Throws<InvalidSandboxRequestException>(() => SeatbeltProfile.Quote("/evil\n(allow default)"));
    }

    [Fact]
    public void Exec_is_limited_to_the_roots()
    {
        var text = SeatbeltProfile.Generate(["/usr"], ["/data"], SandboxNetwork.None);

        Assert.Contains("(allow process-exec (subpath \"/usr\") (subpath \"/data\"))\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("(allow process-exec)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("process-exec", SeatbeltProfile.Generate([], [], SandboxNetwork.None), StringComparison.Ordinal);
    }

    [Fact]
    public void Prologue_sets_soft_and_hard_limits_then_a_new_session_then_sandbox_exec()
    {
        var script = SeatbeltProfile.Prologue(new SandboxLimits { CpuSeconds = 5, OpenFiles = 64, Processes = 8, FileSizeBytes = 1024 });

        Assert.Equal(
            "ulimit -H -S -c 0 || exit 125; ulimit -H -S -t 5 || exit 125; ulimit -H -S -n 64 || exit 125; " +
            "ulimit -H -S -u 8 || exit 125; ulimit -H -S -f 2 || exit 125; " +
            "exec /usr/bin/perl -e 'use POSIX (); POSIX::setsid() > 0 or exit 125; $SIG{PIPE} = $SIG{XFSZ} = \"DEFAULT\"; " +
            "POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new()) or exit 125; exec { $ARGV[0] } @ARGV; exit 125' " +
            "/usr/bin/sandbox-exec -f \"$0\" \"$@\"",
            script);
    }

    [Fact]
    public void Helper_paths_that_would_need_shell_quoting_are_refused() =>
        Assert.Throws<InvalidSandboxRequestException>(() => SeatbeltProfile.Prologue(new SandboxLimits(), "/tmp/x; rm -rf /"));
}
