using System.Buffers.Binary;
using System.Text;

namespace Carapace.Sandbox.Exec.Protocol;

/// <summary>
/// The spec frame on the launcher's stdin, as a small length-prefixed binary encoding instead of JSON:
/// decoding it needs no serializer initialisation in the NativeAOT launcher, which is on every spawn's
/// critical path. Layout (all integers little-endian):
/// <code>
/// frame   = u32 payloadLength, payload
/// payload = u32 magic "CSPC", u32 version,
///           str executable, list argv, list env, str workingDirectory,
///           list readOnlyRoots, list readWriteRoots, list deviceFiles,
///           u8 network (0 none, 1 ports), u32 portCount, portCount × u16 port,
///           5 × opt64 (cpuSeconds, addressSpaceBytes, openFiles, processes, fileSizeBytes),
///           opt32 runAsUid, opt32 runAsGid
/// str     = u32 byteLength, UTF-8 bytes (strict, no NUL)
/// list    = u32 count, count × str
/// opt64   = u8 0 | u8 1, i64        opt32 = u8 0 | u8 1, u32
/// </code>
/// Decoding fails closed: a truncated payload, a count or length larger than what remains, trailing bytes,
/// an unknown magic, version, network byte or presence flag, invalid UTF-8 or a NUL all refuse the frame.
/// </summary>
internal static class LaunchSpecCodec
{
    public const uint Magic = 0x43505343; // "CSPC" read as little-endian u32

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The complete frame (length prefix included) for <paramref name="spec"/>.</summary>
    public static byte[] Encode(LaunchSpec spec)
    {
        var size = 4 + 4 + 4;
        size += StrSize(spec.Executable) + ListSize(spec.Argv) + ListSize(spec.Env) + StrSize(spec.WorkingDirectory);
        size += ListSize(spec.ReadOnlyRoots) + ListSize(spec.ReadWriteRoots) + ListSize(spec.DeviceFiles);
        size += 1 + 4 + (2 * spec.ConnectPorts.Count);
        var l = spec.Limits;
        size += Opt64Size(l.CpuSeconds) + Opt64Size(l.AddressSpaceBytes) + Opt64Size(l.OpenFiles) + Opt64Size(l.Processes) + Opt64Size(l.FileSizeBytes);
        size += Opt32Size(spec.RunAsUid) + Opt32Size(spec.RunAsGid);
        if (size - 4 > LauncherWire.MaxFrameBytes)
        {
            throw new SpecFormatException($"spec is {size - 4} bytes, more than the {LauncherWire.MaxFrameBytes}-byte frame limit");
        }

        var frame = new byte[size];
        var w = new Writer(frame);
        w.U32((uint)(size - 4));
        w.U32(Magic);
        w.U32((uint)spec.Version);
        w.Str(spec.Executable);
        w.List(spec.Argv);
        w.List(spec.Env);
        w.Str(spec.WorkingDirectory);
        w.List(spec.ReadOnlyRoots);
        w.List(spec.ReadWriteRoots);
        w.List(spec.DeviceFiles);
        w.U8(spec.Network switch
        {
            NetworkModes.None => 0,
            NetworkModes.Ports => 1,
            _ => throw new SpecFormatException($"network mode '{spec.Network}' is unknown"),
        });
        w.U32((uint)spec.ConnectPorts.Count);
        foreach (var port in spec.ConnectPorts)
        {
            if (port is < 1 or > 65535)
            {
                throw new SpecFormatException($"port {port} is out of range");
            }

            w.U16((ushort)port);
        }

        w.Opt64(spec.Limits.CpuSeconds);
        w.Opt64(spec.Limits.AddressSpaceBytes);
        w.Opt64(spec.Limits.OpenFiles);
        w.Opt64(spec.Limits.Processes);
        w.Opt64(spec.Limits.FileSizeBytes);
        w.Opt32(spec.RunAsUid);
        w.Opt32(spec.RunAsGid);
        if (w.Position != size)
        {
            throw new InvalidOperationException("spec frame size was miscomputed");
        }

        return frame;
    }

    /// <summary>Decodes a payload (the bytes after the length prefix); throws <see cref="SpecFormatException"/> on anything malformed.</summary>
    public static LaunchSpec Decode(ReadOnlySpan<byte> payload)
    {
        var r = new Reader(payload);
        if (r.U32() != Magic)
        {
            throw new SpecFormatException("spec frame does not start with the CSPC magic");
        }

        var version = r.U32();
        if (version != LaunchSpec.CurrentVersion)
        {
            throw new SpecFormatException($"spec version {version} is not supported (expected {LaunchSpec.CurrentVersion})");
        }

        var spec = new LaunchSpec
        {
            Version = (int)version,
            Executable = r.Str(),
            Argv = r.List(),
            Env = r.List(),
            WorkingDirectory = r.Str(),
            ReadOnlyRoots = r.List(),
            ReadWriteRoots = r.List(),
            DeviceFiles = r.List(),
            Network = r.U8() switch
            {
                0 => NetworkModes.None,
                1 => NetworkModes.Ports,
                var b => throw new SpecFormatException($"network byte {b} is unknown"),
            },
        };

        var ports = r.Count(2);
        spec.ConnectPorts = new List<int>(ports);
        for (var i = 0; i < ports; i++)
        {
            spec.ConnectPorts.Add(r.U16());
        }

        spec.Limits = new LaunchLimits
        {
            CpuSeconds = r.Opt64(),
            AddressSpaceBytes = r.Opt64(),
            OpenFiles = r.Opt64(),
            Processes = r.Opt64(),
            FileSizeBytes = r.Opt64(),
        };
        spec.RunAsUid = r.Opt32();
        spec.RunAsGid = r.Opt32();
        if (r.Remaining != 0)
        {
            throw new SpecFormatException($"spec frame has {r.Remaining} trailing bytes");
        }

        return spec;
    }

    private static int Opt64Size(long? value) => value is null ? 1 : 9;

    private static int Opt32Size(uint? value) => value is null ? 1 : 5;

    private static int StrSize(string s) => 4 + StrictUtf8.GetByteCount(s);

    private static int ListSize(List<string> items)
    {
        var size = 4;
        foreach (var s in items)
        {
            size += StrSize(s);
        }

        return size;
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void U8(byte value) => _buffer[Position++] = value;

        public void U16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], value);
            Position += 2;
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer[Position..], value);
            Position += 4;
        }

        public void Str(string s)
        {
            var n = StrictUtf8.GetBytes(s, _buffer[(Position + 4)..]);
            U32((uint)n);
            Position += n;
        }

        public void List(List<string> items)
        {
            U32((uint)items.Count);
            foreach (var s in items)
            {
                Str(s);
            }
        }

        public void Opt64(long? value)
        {
            U8(value is null ? (byte)0 : (byte)1);
            if (value is { } v)
            {
                BinaryPrimitives.WriteInt64LittleEndian(_buffer[Position..], v);
                Position += 8;
            }
        }

        public void Opt32(uint? value)
        {
            U8(value is null ? (byte)0 : (byte)1);
            if (value is { } v)
            {
                U32(v);
            }
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> payload)
    {
        private readonly ReadOnlySpan<byte> _payload = payload;
        private int _position;

        public readonly int Remaining => _payload.Length - _position;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > Remaining)
            {
                throw new SpecFormatException($"spec frame is truncated at byte {_position} (needs {n}, has {Remaining})");
            }

            var slice = _payload.Slice(_position, n);
            _position += n;
            return slice;
        }

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        /// <summary>A count of items at least <paramref name="minItemBytes"/> each: never more than the bytes left could hold.</summary>
        public int Count(int minItemBytes)
        {
            var count = U32();
            if (count > (uint)(Remaining / minItemBytes))
            {
                throw new SpecFormatException($"spec frame claims {count} items at byte {_position - 4}, more than the {Remaining} bytes left can hold");
            }

            return (int)count;
        }

        public string Str()
        {
            var length = U32();
            if (length > (uint)Remaining)
            {
                throw new SpecFormatException($"spec string of {length} bytes at byte {_position - 4} runs past the frame");
            }

            var bytes = Take((int)length);
            if (bytes.IndexOf((byte)0) >= 0)
            {
                throw new SpecFormatException($"spec string at byte {_position - (int)length} contains a NUL byte");
            }

            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new SpecFormatException($"spec string at byte {_position - (int)length} is not valid UTF-8");
            }
        }

        public List<string> List()
        {
            var count = Count(4);
            var list = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                list.Add(Str());
            }

            return list;
        }

        public long? Opt64() => Flag() ? BinaryPrimitives.ReadInt64LittleEndian(Take(8)) : null;

        public uint? Opt32() => Flag() ? U32() : null;

        private bool Flag() => U8() switch
        {
            0 => false,
            1 => true,
            var b => throw new SpecFormatException($"presence flag {b} at byte {_position - 1} is neither 0 nor 1"),
        };
    }
}

/// <summary>The spec frame is malformed (or a spec cannot be encoded); the launcher refuses it as <c>read_spec</c>.</summary>
internal sealed class SpecFormatException(string message) : Exception(message);
