using System.Runtime.InteropServices;

namespace Carapace.Sandbox.Exec;

/// <summary>One classic-BPF instruction (struct sock_filter).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

/// <summary>
/// Builds the seccomp filter that closes the gap Landlock leaves (it only sees TCP): socket creation
/// for any family but AF_UNIX fails with EACCES, io_uring (which can create sockets behind seccomp's
/// back) is refused, and a foreign syscall ABI (x32, i386 on x86_64) kills the process.
/// In <c>ports</c> mode AF_INET/AF_INET6 stream sockets with protocol 0 or TCP stay allowed so the
/// Landlock port rules decide; UDP, raw and every other family stay denied.
/// Hand-assembled because no BPF library exists for .NET and the program is 20 instructions.
/// </summary>
internal static class SeccompProgram
{
    // BPF opcodes (linux/bpf_common.h).
    private const ushort LdWAbs = 0x00 | 0x00 | 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x05 | 0x10 | 0x00;     // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JgeK = 0x05 | 0x30 | 0x00;     // BPF_JMP | BPF_JGE | BPF_K
    private const ushort AndK = 0x04 | 0x50 | 0x00;     // BPF_ALU | BPF_AND | BPF_K
    private const ushort RetK = 0x06 | 0x00;            // BPF_RET | BPF_K

    public const uint RetAllow = 0x7fff0000;
    public const uint RetKillProcess = 0x80000000;
    public const uint RetErrnoEacces = 0x00050000 | 13;

    // struct seccomp_data offsets.
    private const uint OffNr = 0;
    private const uint OffArch = 4;
    private const uint OffArg0 = 16;
    private const uint OffArg1 = 24;
    private const uint OffArg2 = 32;

    private const uint AfUnix = 1;
    private const uint AfInet = 2;
    private const uint AfInet6 = 10;
    private const uint SockStream = 1;
    private const uint IpProtoTcp = 6;

    private const uint IoUringSetup = 425;
    private const uint IoUringEnter = 426;
    private const uint IoUringRegister = 427;

    internal sealed record ArchInfo(uint AuditArch, uint Socket, uint SocketPair, bool HasX32);

    public static ArchInfo? ForArchitecture(Architecture arch) => arch switch
    {
        Architecture.X64 => new ArchInfo(0xC000003E, 41, 53, HasX32: true),
        Architecture.Arm64 => new ArchInfo(0xC00000B7, 198, 199, HasX32: false),
        _ => null,
    };

    public static BpfInstruction[] Build(ArchInfo arch, bool allowTcp)
    {
        var a = new Assembler();
        a.Load(OffArch);
        a.JumpIfEqual(arch.AuditArch, "nr", "kill");
        a.Label("nr");
        a.Load(OffNr);
        if (arch.HasX32)
        {
            a.JumpIfGreaterOrEqual(0x40000000, "kill", "socket");
        }

        a.Label("socket");
        a.JumpIfEqual(arch.Socket, "domain", "socketpair");
        a.Label("socketpair");
        a.JumpIfEqual(arch.SocketPair, "domain", "uring1");
        a.Label("uring1");
        a.JumpIfEqual(IoUringSetup, "deny", "uring2");
        a.Label("uring2");
        a.JumpIfEqual(IoUringEnter, "deny", "uring3");
        a.Label("uring3");
        a.JumpIfEqual(IoUringRegister, "deny", "allow");

        a.Label("domain");
        a.Load(OffArg0);
        if (allowTcp)
        {
            a.JumpIfEqual(AfUnix, "allow", "inet");
            a.Label("inet");
            a.JumpIfEqual(AfInet, "type", "inet6");
            a.Label("inet6");
            a.JumpIfEqual(AfInet6, "type", "deny");
            a.Label("type");
            a.Load(OffArg1);
            a.And(0xF); // strip SOCK_NONBLOCK / SOCK_CLOEXEC
            a.JumpIfEqual(SockStream, "proto", "deny");
            a.Label("proto");
            a.Load(OffArg2);
            a.JumpIfEqual(0, "allow", "tcp");
            a.Label("tcp");
            a.JumpIfEqual(IpProtoTcp, "allow", "deny");
        }
        else
        {
            a.JumpIfEqual(AfUnix, "allow", "deny");
        }

        a.Label("deny");
        a.Return(RetErrnoEacces);
        a.Label("allow");
        a.Return(RetAllow);
        a.Label("kill");
        a.Return(RetKillProcess);
        return a.Assemble();
    }

    /// <summary>Tiny two-pass assembler: jumps name labels, offsets are resolved at the end.</summary>
    private sealed class Assembler
    {
        private readonly List<(ushort Code, string? True, string? False, uint K)> _code = [];
        private readonly Dictionary<string, int> _labels = [];

        public void Label(string name) => _labels.Add(name, _code.Count);
        public void Load(uint offset) => _code.Add((LdWAbs, null, null, offset));
        public void And(uint k) => _code.Add((AndK, null, null, k));
        public void Return(uint k) => _code.Add((RetK, null, null, k));
        public void JumpIfEqual(uint k, string t, string f) => _code.Add((JeqK, t, f, k));
        public void JumpIfGreaterOrEqual(uint k, string t, string f) => _code.Add((JgeK, t, f, k));

        public BpfInstruction[] Assemble()
        {
            var result = new BpfInstruction[_code.Count];
            for (var i = 0; i < _code.Count; i++)
            {
                var (code, t, f, k) = _code[i];
                result[i] = new BpfInstruction(code, Offset(i, t), Offset(i, f), k);
            }

            return result;
        }

        private byte Offset(int at, string? label)
        {
            if (label is null)
            {
                return 0;
            }

            var delta = _labels[label] - (at + 1);
            if (delta is < 0 or > 255)
            {
                throw new InvalidOperationException($"BPF jump to '{label}' out of range");
            }

            return (byte)delta;
        }
    }
}
