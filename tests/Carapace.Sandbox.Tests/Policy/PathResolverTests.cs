using Carapace.Sandbox.Linux;
using Carapace.Sandbox.Policy;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.Policy;

/// <summary>The managed realpath (macOS, Windows) agrees with libc's (Linux) on every link shape.</summary>
public sealed class PathResolverTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string P(string relative) => Path.Combine(_dir.Path, relative);

    [Fact]
    public void Agrees_with_libc_realpath()
    {
        Directory.CreateDirectory(P("real/sub"));
        File.WriteAllText(P("real/sub/file"), "x");
        File.CreateSymbolicLink(P("abs-link"), P("real"));
        File.CreateSymbolicLink(P("real/rel-link"), "sub");
        File.CreateSymbolicLink(P("real/sub/up"), "..");
        File.CreateSymbolicLink(P("chain1"), "chain2");
        File.CreateSymbolicLink(P("chain2"), "real/sub/file");
        File.CreateSymbolicLink(P("dotdot-after-link"), "abs-link/sub/../sub/file");
        File.CreateSymbolicLink(P("loop-a"), "loop-b");
        File.CreateSymbolicLink(P("loop-b"), "loop-a");
        File.CreateSymbolicLink(P("dangling"), "nowhere");

        string[] cases =
        [
            P("real/sub/file"), P("abs-link/sub/file"), P("real/rel-link/file"), P("real/sub/up/sub/file"),
            P("chain1"), P("dotdot-after-link"), P("abs-link/rel-link/up/rel-link/./file"), P("real/sub/up/../real/sub"),
            P("loop-a"), P("dangling"), P("missing/file"), "/", "/usr/bin/../lib",
        ];
        foreach (var path in cases)
        {
            Assert.True(LinuxNative.RealPath(path) == PathResolver.RealPath(path), $"{path}: libc {LinuxNative.RealPath(path)} managed {PathResolver.RealPath(path)}");
        }

        Assert.Equal(P("real/sub/file"), PathResolver.RealPath(P("chain1")));
        Assert.Null(PathResolver.RealPath(P("loop-a")));
        Assert.Null(PathResolver.RealPath("relative/path"));
    }

    [Fact]
    public void Executable_must_resolve_inside_a_root()
    {
        Directory.CreateDirectory(P("root"));
        Directory.CreateDirectory(P("outside"));
        File.WriteAllText(P("root/tool"), "x");
        File.WriteAllText(P("outside/evil"), "x");
        File.CreateSymbolicLink(P("root/escape"), P("outside/evil"));
        File.CreateSymbolicLink(P("link-to-root"), P("root"));

        RequestValidator.RequireExecutableInsideRoots(P("root/tool"), [P("root")], PathResolver.RealPath, StringComparison.Ordinal);
        RequestValidator.RequireExecutableInsideRoots(P("link-to-root/tool"), [P("root")], PathResolver.RealPath, StringComparison.Ordinal);
        RequestValidator.RequireExecutableInsideRoots(P("root/tool"), [P("link-to-root")], PathResolver.RealPath, StringComparison.Ordinal);

        var escaped = Assert.Throws<InvalidSandboxRequestException>(() =>
            RequestValidator.RequireExecutableInsideRoots(P("root/escape"), [P("root")], PathResolver.RealPath, StringComparison.Ordinal));
        Assert.Contains($"resolves to '{P("outside/evil")}') is not inside", escaped.Message, StringComparison.Ordinal);

        // A sibling whose name starts with the root's is not inside it.
        Directory.CreateDirectory(P("root-sibling"));
        File.WriteAllText(P("root-sibling/tool"), "x");
        Assert.Throws<InvalidSandboxRequestException>(() =>
            RequestValidator.RequireExecutableInsideRoots(P("root-sibling/tool"), [P("root")], PathResolver.RealPath, StringComparison.Ordinal));

        var missing = Assert.Throws<InvalidSandboxRequestException>(() =>
            RequestValidator.RequireExecutableInsideRoots(P("root/none"), [P("root")], PathResolver.RealPath, StringComparison.Ordinal));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }
}
