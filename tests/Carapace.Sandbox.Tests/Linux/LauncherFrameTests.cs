using System.Diagnostics;
using Carapace.Sandbox.Exec.Protocol;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests.Linux;

/// <summary>
/// The staged launcher (NativeAOT when built with clang) fed malformed binary frames directly: each one is
/// refused as read_spec with exit 125, and the target (which would print to stdout) never runs.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class LauncherFrameTests
{
    private static byte[] ValidFrame() => LaunchSpecCodec.Encode(new LaunchSpec
    {
        Executable = "/bin/echo",
        Argv = ["/bin/echo", "target-ran"],
        Env = ["PATH=/usr/bin:/bin"],
        WorkingDirectory = "/usr",
        ReadOnlyRoots = ["/usr", "/bin"],
    });

    public static TheoryData<string> Malformations => ["truncated", "trailing", "json", "bad-magic", "oversize-length", "zero-length", "huge-count"];

    [Theory]
    [MemberData(nameof(Malformations))]
    public async Task A_malformed_frame_is_refused_before_anything_runs(string what)
    {
        var frame = ValidFrame();
        byte[] input = what switch
        {
            "truncated" => [.. Length(frame.Length - 4), .. frame.AsSpan(4, frame.Length - 10)],
            "trailing" => [.. Length(frame.Length - 3), .. frame.AsSpan(4), 0],
            "json" => [.. Length(2), .. "{}"u8],
            "bad-magic" => [.. frame.AsSpan(0, 4), .. "JSON"u8, .. frame.AsSpan(8)],
            "oversize-length" => Length(LauncherWire.MaxFrameBytes + 1),
            "zero-length" => Length(0),
            "huge-count" => HugeArgvCount(frame),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        var (exit, stdout, stderr) = await RunLauncherAsync(input);

        Assert.Equal(LauncherWire.SandboxFailureExitCode, exit);
        Assert.Equal("", stdout); // neither the confined marker nor the target's output
        Assert.Contains(LauncherWire.FailurePrefix + "{\"step\":\"read_spec\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_frame_runs_the_target_confined()
    {
        var (exit, stdout, stderr) = await RunLauncherAsync(ValidFrame());

        Assert.Equal(0, exit);
        Assert.Equal((char)LauncherWire.ConfinedMarker + "target-ran\n", stdout);
        Assert.Equal("", stderr);
    }

    private static byte[] Length(int n) => BitConverter.GetBytes((uint)n);

    private static byte[] HugeArgvCount(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        var argvCount = 4 + 4 + 4 + 4 + "/bin/echo".Length;
        BitConverter.GetBytes(uint.MaxValue).CopyTo(copy, argvCount);
        return copy;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunLauncherAsync(byte[] input)
    {
        var info = LauncherLocator.Locate(null, out var problem) ?? throw new InvalidOperationException(problem);
        var psi = new ProcessStartInfo(info.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in info.PrefixArguments)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
