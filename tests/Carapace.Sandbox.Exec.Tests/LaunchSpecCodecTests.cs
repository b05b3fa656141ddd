using System.Buffers.Binary;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec.Tests;

/// <summary>The binary spec frame: round trip, and every malformed frame refused (fail closed, no other exception).</summary>
public sealed class LaunchSpecCodecTests
{
    private static LaunchSpec Full() => new()
    {
        Executable = "/usr/bin/env",
        Argv = ["/usr/bin/env", "-0", "ünïcödé ☃", ""],
        Env = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
        WorkingDirectory = "/tmp/work",
        ReadOnlyRoots = ["/usr", "/etc"],
        ReadWriteRoots = ["/tmp/work"],
        DeviceFiles = ["/dev/null"],
        Network = NetworkModes.Ports,
        ConnectPorts = [1, 443, 65535],
        Limits = new LaunchLimits { CpuSeconds = 10, AddressSpaceBytes = long.MaxValue, OpenFiles = 64, Processes = null, FileSizeBytes = 0 },
        RunAsUid = 61000,
        RunAsGid = uint.MaxValue,
    };

    private static ReadOnlySpan<byte> Payload(byte[] frame)
    {
        Assert.Equal((uint)(frame.Length - 4), BinaryPrimitives.ReadUInt32LittleEndian(frame));
        return frame.AsSpan(4);
    }

    [Fact]
    public void Every_field_round_trips()
    {
        var spec = LaunchSpecCodec.Decode(Payload(LaunchSpecCodec.Encode(Full())));

        Assert.Equal(LaunchSpec.CurrentVersion, spec.Version);
        Assert.Equal("/usr/bin/env", spec.Executable);
        Assert.Equal(["/usr/bin/env", "-0", "ünïcödé ☃", ""], spec.Argv);
        Assert.Equal(["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], spec.Env);
        Assert.Equal("/tmp/work", spec.WorkingDirectory);
        Assert.Equal(["/usr", "/etc"], spec.ReadOnlyRoots);
        Assert.Equal(["/tmp/work"], spec.ReadWriteRoots);
        Assert.Equal(["/dev/null"], spec.DeviceFiles);
        Assert.Equal(NetworkModes.Ports, spec.Network);
        Assert.Equal([1, 443, 65535], spec.ConnectPorts);
        Assert.Equal(10, spec.Limits.CpuSeconds);
        Assert.Equal(long.MaxValue, spec.Limits.AddressSpaceBytes);
        Assert.Equal(64, spec.Limits.OpenFiles);
        Assert.Null(spec.Limits.Processes);
        Assert.Equal(0, spec.Limits.FileSizeBytes);
        Assert.Equal(61000u, spec.RunAsUid);
        Assert.Equal(uint.MaxValue, spec.RunAsGid);
    }

    [Fact]
    public void Absent_optionals_stay_absent()
    {
        var spec = LaunchSpecCodec.Decode(Payload(LaunchSpecCodec.Encode(new LaunchSpec { Executable = "/bin/true", Argv = ["/bin/true"] })));

        Assert.Equal(NetworkModes.None, spec.Network);
        Assert.Empty(spec.ConnectPorts);
        Assert.Null(spec.RunAsUid);
        Assert.Null(spec.RunAsGid);
        Assert.Null(spec.Limits.CpuSeconds);
        Assert.Null(spec.Limits.AddressSpaceBytes);
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        var payload = Payload(LaunchSpecCodec.Encode(Full())).ToArray();
        for (var length = 0; length < payload.Length; length++)
        {
            // Truncated, a string running past the end, or a count the remaining bytes cannot hold.
            var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload.AsSpan(0, length)));
            Assert.Matches("truncated|runs past the frame|more than the .* bytes left can hold", e.Message);
        }
    }

    [Fact]
    public void Trailing_bytes_are_refused()
    {
        var payload = Payload(LaunchSpecCodec.Encode(Full())).ToArray().Append((byte)0).ToArray();

        var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload));
        Assert.Equal("spec frame has 1 trailing bytes", e.Message);
    }

    [Theory]
    [InlineData(0, "spec frame does not start with the CSPC magic")]
    [InlineData(4, "spec version 3 is not supported (expected 2)")]
    public void Wrong_magic_or_version_is_refused(int offset, string message)
    {
        var payload = Payload(LaunchSpecCodec.Encode(Full())).ToArray();
        payload[offset] += 1;

        var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_count_larger_than_the_remaining_bytes_is_refused_before_allocating()
    {
        var payload = Payload(LaunchSpecCodec.Encode(new LaunchSpec { Executable = "/bin/true" })).ToArray();
        var argvCount = 4 + 4 + 4 + "/bin/true".Length;
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(argvCount), uint.MaxValue);

        var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload));
        Assert.StartsWith("spec frame claims 4294967295 items", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_length_past_the_frame_is_refused()
    {
        var payload = Payload(LaunchSpecCodec.Encode(new LaunchSpec { Executable = "/bin/true" })).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), 0x7FFFFFFF);

        var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload));
        Assert.Equal("spec string of 2147483647 bytes at byte 8 runs past the frame", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 }, "is not valid UTF-8")]
    [InlineData(new byte[] { (byte)'a', 0, (byte)'b' }, "contains a NUL byte")]
    public void Invalid_strings_are_refused(byte[] executable, string why)
    {
        var payload = Payload(LaunchSpecCodec.Encode(new LaunchSpec { Executable = new string('x', executable.Length) })).ToArray();
        executable.CopyTo(payload, 12);

        var e = Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_network_byte_and_presence_flag_are_refused()
    {
        var spec = new LaunchSpec { Executable = "/bin/true" };
        var payload = Payload(LaunchSpecCodec.Encode(spec)).ToArray();
        var network = payload.Length - (5 * 1) - (2 * 1) - 4 - 1; // all optionals absent, no ports
        Assert.Equal(0, payload[network]);

        payload[network] = 2;
        Assert.Equal("network byte 2 is unknown", Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload)).Message);

        payload[network] = 0;
        payload[^1] = 7; // runAsGid presence flag
        Assert.StartsWith("presence flag 7", Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Decode(payload)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unencodable_specs_are_refused_by_the_encoder()
    {
        Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Encode(new LaunchSpec { Network = "open" }));
        Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Encode(new LaunchSpec { Network = NetworkModes.Ports, ConnectPorts = [70000] }));
        var huge = new string('a', LauncherWire.MaxFrameBytes);
        Assert.StartsWith("spec is ", Assert.Throws<SpecFormatException>(() => LaunchSpecCodec.Encode(new LaunchSpec { Argv = [huge] })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_mutations_either_decode_or_are_refused_as_format_errors()
    {
        // Fuzz: flip bytes of a valid frame and feed random garbage; the only acceptable failure is
        // SpecFormatException (anything else would surface as an 'internal' launcher failure).
        var rng = new Random(20240605);
        var valid = Payload(LaunchSpecCodec.Encode(Full())).ToArray();
        var refused = 0;
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 4 == 0)
            {
                input = new byte[rng.Next(0, 256)];
                rng.NextBytes(input);
            }
            else
            {
                input = (byte[])valid.Clone();
                for (var flips = rng.Next(1, 4); flips > 0; flips--)
                {
                    input[rng.Next(input.Length)] = (byte)rng.Next(256);
                }
            }

            try
            {
                LaunchSpecCodec.Decode(input);
            }
            catch (SpecFormatException)
            {
                refused++;
            }
        }

        Assert.InRange(refused, 5_000, 20_000); // at least every random-garbage input (wrong magic)
    }
}
