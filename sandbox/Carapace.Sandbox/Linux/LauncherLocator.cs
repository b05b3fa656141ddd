using System.Runtime.InteropServices;
using System.Text.Json;

namespace Carapace.Sandbox.Linux;

/// <summary>Where the launcher is and how to start it.</summary>
/// <param name="Kind"><c>native-aot</c> or <c>framework-dependent</c>.</param>
/// <param name="Path">The launcher binary or dll.</param>
/// <param name="FileName">What Process.Start runs (the binary, or the dotnet muxer).</param>
/// <param name="PrefixArguments">Arguments before none (the dll path for the muxer).</param>
public sealed record LauncherInfo(string Kind, string Path, string FileName, IReadOnlyList<string> PrefixArguments);

/// <summary>
/// Finds the launcher: <c>sandbox.launcherPath</c> when set, else <c>&lt;app dir&gt;/carapace-sandbox-exec/</c>
/// whose <c>launcher.json</c> (written by Carapace.Sandbox's build) names the kind.
/// </summary>
internal static class LauncherLocator
{
    public const string DirectoryName = "carapace-sandbox-exec";
    public const string NativeAot = "native-aot";
    public const string FrameworkDependent = "framework-dependent";

    public static LauncherInfo? Locate(string? overridePath, out string? problem)
    {
        if (overridePath is not null)
        {
            return overridePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? FrameworkDependentAt(overridePath, out problem)
                : NativeAt(overridePath, out problem);
        }

        var dir = System.IO.Path.Combine(AppContext.BaseDirectory, DirectoryName);
        var kindFile = System.IO.Path.Combine(dir, "launcher.json");
        if (!File.Exists(kindFile))
        {
            problem = $"sandbox launcher not found: '{kindFile}' is missing (build a project that references Carapace.Sandbox, or set sandbox.launcherPath)";
            return null;
        }

        string? kind;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(kindFile));
            kind = doc.RootElement.GetProperty("kind").GetString();
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException)
        {
            problem = $"sandbox launcher descriptor '{kindFile}' is unreadable: {e.Message}";
            return null;
        }

        return kind switch
        {
            NativeAot => NativeAt(System.IO.Path.Combine(dir, "carapace-sandbox-exec"), out problem),
            FrameworkDependent => FrameworkDependentAt(System.IO.Path.Combine(dir, "fd", "carapace-sandbox-exec.dll"), out problem),
            _ => Unknown(kind, out problem),
        };
    }

    private static LauncherInfo? Unknown(string? kind, out string? problem)
    {
        problem = $"sandbox launcher kind '{kind}' is unknown";
        return null;
    }

    private static LauncherInfo? NativeAt(string path, out string? problem)
    {
        if (!File.Exists(path))
        {
            problem = $"sandbox launcher '{path}' does not exist";
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            problem = $"sandbox launcher '{path}' is not executable";
            return null;
        }

        problem = null;
        return new LauncherInfo(NativeAot, path, path, []);
    }

    private static LauncherInfo? FrameworkDependentAt(string dll, out string? problem)
    {
        if (!File.Exists(dll) || !File.Exists(System.IO.Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            problem = $"sandbox launcher '{dll}' (or its runtimeconfig.json) does not exist";
            return null;
        }

        var muxer = FindMuxer();
        if (muxer is null)
        {
            problem = "the framework-dependent sandbox launcher needs the dotnet host, which was not found next to the running runtime";
            return null;
        }

        problem = null;
        return new LauncherInfo(FrameworkDependent, dll, muxer, [dll]);
    }

    internal static string? FindMuxer()
    {
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var root = System.IO.Path.GetFullPath(System.IO.Path.Combine(runtimeDir, "..", "..", ".."));
        var candidate = System.IO.Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        if (File.Exists(candidate))
        {
            return candidate;
        }

        var self = Environment.ProcessPath;
        return self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : null;
    }
}
