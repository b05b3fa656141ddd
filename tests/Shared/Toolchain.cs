namespace Carapace.Testing;

/// <summary>What the build machine has, for tests whose expectation follows it.</summary>
internal static class Toolchain
{
    /// <summary>Carapace.Sandbox's build publishes the NativeAOT launcher exactly when clang is on PATH (tests/setup/10-sandbox.sh installs it).</summary>
    public static bool ClangOnPath { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "clang")));
}
