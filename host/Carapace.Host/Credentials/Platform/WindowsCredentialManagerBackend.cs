using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Carapace.Abstractions.Credentials;

namespace Carapace.Host.Credentials.Platform;

/// <summary>
/// Windows Credential Manager (generic credentials, target <c>carapace:&lt;key&gt;</c>, persisted for the
/// local machine, protected by DPAPI for the user). Compiled everywhere, used only on Windows; not
/// exercised by the Linux test suite, hence <c>partial</c>. Credential Manager holds at most 2,560
/// bytes per secret, so larger values are refused with <c>credential_value_too_large</c>.
/// </summary>
internal sealed class WindowsCredentialManagerBackend : ICredentialBackend
{
    public const int MaxBlobBytes = 5 * 512;
    private const uint CredTypeGeneric = 1;
    private const uint CredPersistLocalMachine = 2;
    private const int ErrorNotFound = 1168;

    public string Name => CredentialBackendNames.WindowsCredentialManager;

    public bool IsWritable => true;

    private static string Target(string key) => "carapace:" + key;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => Task.Run<string?>(() =>
    {
        if (!NativeMethods.CredReadW(Target(key), CredTypeGeneric, 0, out var handle))
        {
            var error = Marshal.GetLastWin32Error();
            return error == ErrorNotFound ? null : throw Failure("read", error);
        }

        try
        {
            var credential = Marshal.PtrToStructure<NativeCredential>(handle);
            if (credential.CredentialBlobSize == 0)
            {
                return "";
            }

            var blob = new byte[credential.CredentialBlobSize];
            Marshal.Copy(credential.CredentialBlob, blob, 0, blob.Length);
            return Encoding.UTF8.GetString(blob);
        }
        finally
        {
            NativeMethods.CredFree(handle);
        }
    }, cancellationToken);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var blob = Encoding.UTF8.GetBytes(value);
        if (blob.Length > MaxBlobBytes)
        {
            throw new CredentialException(CredentialErrorCodes.ValueTooLarge,
                $"Windows Credential Manager holds at most {MaxBlobBytes} bytes per credential; the value is {blob.Length} bytes");
        }

        var target = Marshal.StringToCoTaskMemUni(Target(key));
        var user = Marshal.StringToCoTaskMemUni("carapace");
        var data = Marshal.AllocCoTaskMem(Math.Max(blob.Length, 1));
        try
        {
            Marshal.Copy(blob, 0, data, blob.Length);
            var credential = new NativeCredential
            {
                Type = CredTypeGeneric,
                TargetName = target,
                CredentialBlobSize = (uint)blob.Length,
                CredentialBlob = data,
                Persist = CredPersistLocalMachine,
                UserName = user,
            };
            if (!NativeMethods.CredWriteW(ref credential, 0))
            {
                throw Failure("write", Marshal.GetLastWin32Error());
            }
        }
        finally
        {
            Marshal.Copy(new byte[blob.Length], 0, data, blob.Length);
            Marshal.FreeCoTaskMem(data);
            Marshal.FreeCoTaskMem(target);
            Marshal.FreeCoTaskMem(user);
        }
    }, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => Task.Run(() =>
    {
        if (NativeMethods.CredDeleteW(Target(key), CredTypeGeneric, 0))
        {
            return true;
        }

        var error = Marshal.GetLastWin32Error();
        return error == ErrorNotFound ? false : throw Failure("delete", error);
    }, cancellationToken);

    private static CredentialException Failure(string operation, int error) =>
        CredentialErrors.Failure($"Windows Credential Manager failed a credential {operation}: {new Win32Exception(error).Message}");

    [StructLayout(LayoutKind.Sequential)]
    private struct NativeCredential
    {
        public uint Flags;
        public uint Type;
        public IntPtr TargetName;
        public IntPtr Comment;
        public long LastWritten;
        public uint CredentialBlobSize;
        public IntPtr CredentialBlob;
        public uint Persist;
        public uint AttributeCount;
        public IntPtr Attributes;
        public IntPtr TargetAlias;
        public IntPtr UserName;
    }

    private static class NativeMethods
    {
        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CredReadW(string target, uint type, uint flags, out IntPtr credential);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CredWriteW(ref NativeCredential credential, uint flags);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CredDeleteW(string target, uint type, uint flags);

        [DllImport("advapi32.dll")]
        public static extern void CredFree(IntPtr buffer);
    }
}
