using System.Runtime.InteropServices;
using System.Text;
using Carapace.Abstractions.Credentials;

namespace Carapace.Host.Credentials.Platform;

/// <summary>
/// macOS login keychain through Security.framework (generic passwords: service <c>carapace</c>,
/// account = the credential key). Compiled everywhere, used only on macOS; not exercised by the Linux
/// test suite, hence <c>partial</c> in feature-status. Calls block, so they run on the thread pool and
/// the store's timeout abandons them if the keychain shows UI or hangs.
/// </summary>
internal sealed class MacOsKeychainCredentialBackend : ICredentialBackend
{
    private const string Security = "/System/Library/Frameworks/Security.framework/Security";
    private const string CoreFoundation = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";
    private const int ErrSecSuccess = 0;
    private const int ErrSecItemNotFound = -25300;
    private const int ErrSecInteractionNotAllowed = -25308;
    private const int ErrSecAuthFailed = -25293;
    private static readonly byte[] Service = Encoding.UTF8.GetBytes(SecretService.SecretServiceCredentialBackend.ServiceAttribute);

    public string Name => CredentialBackendNames.MacOsKeychain;

    public bool IsWritable => true;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => Task.Run<string?>(() =>
    {
        var account = Encoding.UTF8.GetBytes(key);
        var status = NativeMethods.SecKeychainFindGenericPassword(IntPtr.Zero, (uint)Service.Length, Service,
            (uint)account.Length, account, out var length, out var data, out var item);
        if (status == ErrSecItemNotFound)
        {
            return null;
        }

        Check(status, "read");
        try
        {
            return Marshal.PtrToStringUTF8(data, (int)length);
        }
        finally
        {
            _ = NativeMethods.SecKeychainItemFreeContent(IntPtr.Zero, data);
            Release(item);
        }
    }, cancellationToken);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var account = Encoding.UTF8.GetBytes(key);
        var secret = Encoding.UTF8.GetBytes(value);
        var status = NativeMethods.SecKeychainFindGenericPassword(IntPtr.Zero, (uint)Service.Length, Service,
            (uint)account.Length, account, out _, out var data, out var item);
        if (status == ErrSecSuccess)
        {
            _ = NativeMethods.SecKeychainItemFreeContent(IntPtr.Zero, data);
            try
            {
                Check(NativeMethods.SecKeychainItemModifyAttributesAndData(item, IntPtr.Zero, (uint)secret.Length, secret), "write");
            }
            finally
            {
                Release(item);
            }

            return;
        }

        if (status != ErrSecItemNotFound)
        {
            Check(status, "write");
        }

        Check(NativeMethods.SecKeychainAddGenericPassword(IntPtr.Zero, (uint)Service.Length, Service,
            (uint)account.Length, account, (uint)secret.Length, secret, IntPtr.Zero), "write");
    }, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var account = Encoding.UTF8.GetBytes(key);
        var status = NativeMethods.SecKeychainFindGenericPassword(IntPtr.Zero, (uint)Service.Length, Service,
            (uint)account.Length, account, out _, out var data, out var item);
        if (status == ErrSecItemNotFound)
        {
            return false;
        }

        Check(status, "delete");
        _ = NativeMethods.SecKeychainItemFreeContent(IntPtr.Zero, data);
        try
        {
            Check(NativeMethods.SecKeychainItemDelete(item), "delete");
            return true;
        }
        finally
        {
            Release(item);
        }
    }, cancellationToken);

    private static void Release(IntPtr item)
    {
        if (item != IntPtr.Zero)
        {
            NativeMethods.CFRelease(item);
        }
    }

    private static void Check(int status, string operation)
    {
        switch (status)
        {
            case ErrSecSuccess:
                return;
            case ErrSecInteractionNotAllowed or ErrSecAuthFailed:
                throw CredentialErrors.Locked("the macOS login keychain");
            default:
                throw CredentialErrors.Failure($"the macOS keychain failed a credential {operation} (OSStatus {status})");
        }
    }

    private static class NativeMethods
    {
        [DllImport(Security)]
        public static extern int SecKeychainFindGenericPassword(IntPtr keychainOrArray, uint serviceNameLength, byte[] serviceName,
            uint accountNameLength, byte[] accountName, out uint passwordLength, out IntPtr passwordData, out IntPtr itemRef);

        [DllImport(Security)]
        public static extern int SecKeychainAddGenericPassword(IntPtr keychain, uint serviceNameLength, byte[] serviceName,
            uint accountNameLength, byte[] accountName, uint passwordLength, byte[] passwordData, IntPtr itemRef);

        [DllImport(Security)]
        public static extern int SecKeychainItemModifyAttributesAndData(IntPtr itemRef, IntPtr attrList, uint length, byte[] data);

        [DllImport(Security)]
        public static extern int SecKeychainItemDelete(IntPtr itemRef);

        [DllImport(Security)]
        public static extern int SecKeychainItemFreeContent(IntPtr attrList, IntPtr data);

        [DllImport(CoreFoundation)]
        public static extern void CFRelease(IntPtr cf);
    }
}
