using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Running;

/// <summary>
/// Per-run private directories under one root. The root is 0711 (traversable, not listable) so a per-run
/// uid can reach its own 0700 directory and nothing else; it is never the shared /tmp itself.
/// </summary>
internal sealed class ScratchDirectories
{
    private readonly Lock _lock = new();
    private bool _rootReady;

    public ScratchDirectories(string? configuredRoot)
    {
        Root = configuredRoot ?? DefaultRoot();
    }

    public string Root { get; }

    private static string DefaultRoot()
    {
        var who = OperatingSystem.IsLinux() ? LinuxNative.GetEuid().ToString(System.Globalization.CultureInfo.InvariantCulture) : Environment.UserName;
        return Path.Combine(Path.GetTempPath(), $"carapace-sandbox-{who}");
    }

    public string Create(string prefix, uint? ownerUid)
    {
        EnsureRoot();
        var path = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (ownerUid is { } uid && LinuxNative.LChown(path, uid, uid) != 0)
        {
            throw new SandboxUnavailableException($"could not hand scratch directory '{path}' to uid {uid}");
        }

        return path;
    }

    public static void Delete(string path)
    {
        // Most runs leave their scratch dir empty: one rmdir(2), no existence check, no enumeration.
        try
        {
            Directory.Delete(path, recursive: false);
            return;
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty (or not removable as is): the recursive path below.
        }

        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A child may have left a directory without write permission; widen and retry once.
            try
            {
                if (!OperatingSystem.IsWindows())
                {
                    foreach (var d in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories))
                    {
                        File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    }
                }

                Directory.Delete(path, recursive: true);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // Left behind; it is private to the run and under the scratch root.
            }
        }
    }

    private void EnsureRoot()
    {
        lock (_lock)
        {
            if (_rootReady)
            {
                return;
            }

            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(Root);
                _rootReady = true;
                return;
            }

            const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            var info = Directory.CreateDirectory(Root, mode);
            if (info.LinkTarget is not null)
            {
                throw new SandboxUnavailableException($"scratch root '{Root}' is a symbolic link; refusing to use it");
            }

            // chmod fails unless we own it (or are root, who then takes ownership): a directory someone
            // else pre-created in a shared temp dir is never trusted as is.
            try
            {
                if (OperatingSystem.IsLinux() && LinuxNative.GetEuid() == 0 && LinuxNative.LChown(Root, 0, 0) != 0)
                {
                    throw new SandboxUnavailableException($"could not take ownership of scratch root '{Root}'");
                }

                File.SetUnixFileMode(Root, mode);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new SandboxUnavailableException($"scratch root '{Root}' belongs to another user", e);
            }

            _rootReady = true;
        }
    }
}
