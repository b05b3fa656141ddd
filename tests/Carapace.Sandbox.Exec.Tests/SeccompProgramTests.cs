using System.Runtime.InteropServices;

namespace Carapace.Sandbox.Exec.Tests;

public sealed class SeccompProgramTests
{
    /// <summary>A tiny classic-BPF interpreter for the opcodes the filter uses, to check its decisions.</summary>
    private static uint Evaluate(BpfInstruction[] program, uint arch, uint nr, params ulong[] args)
    {
        var data = new byte[64];
        BitConverter.GetBytes(nr).CopyTo(data, 0);
        BitConverter.GetBytes(arch).CopyTo(data, 4);
        for (var i = 0; i < args.Length; i++)
        {
            BitConverter.GetBytes(args[i]).CopyTo(data, 16 + (8 * i));
        }

        uint acc = 0;
        for (var pc = 0; pc < program.Length; pc++)
        {
            var ins = program[pc];
            switch (ins.Code)
            {
                case 0x20: acc = BitConverter.ToUInt32(data, (int)ins.K); break;
                case 0x54: acc &= ins.K; break;
                case 0x06: return ins.K;
                case 0x15: pc += acc == ins.K ? ins.JumpTrue : ins.JumpFalse; break;
                case 0x35: pc += acc >= ins.K ? ins.JumpTrue : ins.JumpFalse; break;
                default: throw new InvalidOperationException($"opcode {ins.Code:x}");
            }
        }

        throw new InvalidOperationException("fell off the end");
    }

    private static readonly SeccompProgram.ArchInfo X64 = SeccompProgram.ForArchitecture(Architecture.X64)!;

    [Fact]
    public void Network_none_allows_only_unix_sockets()
    {
        var p = SeccompProgram.Build(X64, allowTcp: false);

        Assert.Equal(SeccompProgram.RetAllow, Evaluate(p, X64.AuditArch, 41, 1, 1, 0));             // socket(AF_UNIX)
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 2, 1, 0));       // socket(AF_INET, STREAM)
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 2, 2, 0));       // socket(AF_INET, DGRAM)
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 16, 3, 0));      // netlink
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 53, 2, 1, 0));       // socketpair(AF_INET)
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 425));               // io_uring_setup
        Assert.Equal(SeccompProgram.RetAllow, Evaluate(p, X64.AuditArch, 0));                       // read
    }

    [Fact]
    public void Port_mode_allows_tcp_stream_sockets_but_not_udp_or_raw()
    {
        var p = SeccompProgram.Build(X64, allowTcp: true);

        Assert.Equal(SeccompProgram.RetAllow, Evaluate(p, X64.AuditArch, 41, 2, 1 | 0x80000, 0));   // AF_INET, SOCK_STREAM|CLOEXEC
        Assert.Equal(SeccompProgram.RetAllow, Evaluate(p, X64.AuditArch, 41, 10, 1, 6));           // AF_INET6, IPPROTO_TCP
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 2, 2, 0));       // UDP
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 2, 3, 1));       // raw ICMP
        Assert.Equal(SeccompProgram.RetErrnoEacces, Evaluate(p, X64.AuditArch, 41, 2, 1, 262));     // MPTCP
    }

    [Fact]
    public void Foreign_abis_are_killed()
    {
        var p = SeccompProgram.Build(X64, allowTcp: false);

        Assert.Equal(SeccompProgram.RetKillProcess, Evaluate(p, 0x40000003, 359));                  // i386
        Assert.Equal(SeccompProgram.RetKillProcess, Evaluate(p, X64.AuditArch, 0x40000000 + 41, 2)); // x32
    }
}
