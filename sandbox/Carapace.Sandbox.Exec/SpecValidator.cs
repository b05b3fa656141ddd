using System.Text;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec;

/// <summary>
/// Re-checks what the broker already checked: the launcher trusts nothing it did not verify itself.
/// </summary>
internal static class SpecValidator
{
    public static void Validate(LaunchSpec spec)
    {
        if (spec.Version != LaunchSpec.CurrentVersion)
        {
            Fail($"spec version {spec.Version} is not supported (expected {LaunchSpec.CurrentVersion})");
        }

        if (spec.Network is not (NetworkModes.None or NetworkModes.Ports))
        {
            Fail($"network mode '{spec.Network}' is unknown");
        }

        if (spec.Network == NetworkModes.None && spec.ConnectPorts.Count > 0)
        {
            Fail("network 'none' cannot carry connect ports");
        }

        foreach (var port in spec.ConnectPorts)
        {
            if (port is < 1 or > 65535)
            {
                Fail($"port {port} is out of range");
            }
        }

        if (spec.Argv.Count == 0)
        {
            Fail("argv is empty");
        }

        foreach (var s in spec.Argv)
        {
            RequireNoNul(s, "argument");
        }

        foreach (var e in spec.Env)
        {
            RequireNoNul(e, "environment entry");
            if (e.IndexOf('=', StringComparison.Ordinal) <= 0)
            {
                Fail("environment entry without NAME=");
            }
        }

        RequireAbsolute(spec.WorkingDirectory, "working directory");
        RequireAbsolute(spec.Executable, "executable");
        foreach (var root in spec.DeviceFiles)
        {
            RequireAbsolute(root, "root");
        }

        // Each root is resolved once and reused for both containment checks below.
        var roots = new List<string>(spec.ReadOnlyRoots.Count + spec.ReadWriteRoots.Count);
        ResolveRoots(spec.ReadOnlyRoots, roots);
        ResolveRoots(spec.ReadWriteRoots, roots);

        var exe = RealPath(spec.Executable)
            ?? throw new LaunchFailedException("validate", 2, $"executable '{spec.Executable}' does not exist");
        if (!InsideAny(exe, roots))
        {
            Fail($"executable '{spec.Executable}' (resolves to '{exe}') is not inside an allowed root");
        }

        // chdir happens before restrict_self, so a directory outside the roots would be entered unchecked.
        var cwd = RealPath(spec.WorkingDirectory)
            ?? throw new LaunchFailedException("validate", 2, $"working directory '{spec.WorkingDirectory}' does not exist");
        if (!InsideAny(cwd, roots))
        {
            Fail($"working directory '{spec.WorkingDirectory}' (resolves to '{cwd}') is not inside an allowed root");
        }

        // 0 would stay root; 0xFFFFFFFF means "unchanged" to setresuid/setresgid, i.e. also root.
        if (spec.RunAsUid is 0 or uint.MaxValue || spec.RunAsGid is 0 or uint.MaxValue)
        {
            Fail("run-as uid/gid must be an unprivileged id (not 0 or 4294967295)");
        }

        if (spec.Limits.CpuSeconds is <= 0 || spec.Limits.OpenFiles is <= 0 || spec.Limits.Processes is <= 0
            || spec.Limits.FileSizeBytes is < 0 || spec.Limits.AddressSpaceBytes is <= 0)
        {
            Fail("resource limits must be positive");
        }
    }

    // A root that does not resolve is skipped here; BuildRuleset refuses it (it must exist).
    private static void ResolveRoots(List<string> roots, List<string> resolved)
    {
        foreach (var root in roots)
        {
            RequireAbsolute(root, "root");
            if (RealPath(root) is { } real)
            {
                resolved.Add(real);
            }
        }
    }

    private static bool InsideAny(string path, List<string> roots)
    {
        foreach (var root in roots)
        {
            if (IsInside(path, root))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsInside(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    public static unsafe string? RealPath(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        var buffer = stackalloc byte[4096];
        fixed (byte* p = bytes)
        {
            var r = Libc.Realpath(p, buffer);
            return r is null ? null : Encoding.UTF8.GetString(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer));
        }
    }

    private static void RequireAbsolute(string path, string what)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathRooted(path))
        {
            Fail($"{what} '{path}' is not an absolute path");
        }

        RequireNoNul(path, what);
    }

    private static void RequireNoNul(string s, string what)
    {
        if (s.Contains('\0', StringComparison.Ordinal))
        {
            Fail($"{what} contains a NUL byte");
        }
    }

    private static void Fail(string message) => throw new LaunchFailedException("validate", 22, message);
}
