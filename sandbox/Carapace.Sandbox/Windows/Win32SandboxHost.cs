using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;
using Carapace.Abstractions.Sandbox;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// The real Win32 calls (PARTIAL: compiled and unit-tested on Linux, never run on Windows). One run:
/// a Job Object with the limits, three anonymous pipes, and CreateProcessW with an attribute list holding
/// JOB_LIST (the job is attached atomically at creation, Windows 10+), SECURITY_CAPABILITIES (the
/// AppContainer SID, zero capabilities: no network) and HANDLE_LIST (only the child's pipe ends are
/// inherited, whatever else in the broker is inheritable).
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class Win32SandboxHost : IWindowsSandboxHost
{
    /// <summary>ALL APPLICATION PACKAGES: what every AppContainer may read already (System32, most of %SystemRoot%).</summary>
    private static readonly SecurityIdentifier AllApplicationPackages = new("S-1-15-2-1");

    public string? UnavailableReason => OperatingSystem.IsWindowsVersionAtLeast(10)
        ? null
        : "the Windows backend needs Windows 10 or later (PROC_THREAD_ATTRIBUTE_JOB_LIST)";

    public string SystemDirectory => Environment.SystemDirectory;

    public AppContainerIdentity EnsureAppContainer(string name, string displayName, string description)
    {
        var hr = WindowsNative.CreateAppContainerProfile(name, displayName, description, 0, 0, out var sid);
        if (hr == WindowsNative.HResultAlreadyExists)
        {
            hr = WindowsNative.DeriveAppContainerSidFromAppContainerName(name, out sid);
        }

        if (hr < 0 || sid == 0)
        {
            throw new SandboxUnavailableException($"could not create or open AppContainer profile '{name}' (HRESULT 0x{hr:X8}); deny-network runs are blocked");
        }

        try
        {
            if (WindowsNative.ConvertSidToStringSid(sid, out var text) == 0)
            {
                throw new SandboxUnavailableException($"could not read the SID of AppContainer profile '{name}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            try
            {
                return new AppContainerIdentity(name, Marshal.PtrToStringUni(text)!);
            }
            finally
            {
                WindowsNative.LocalFree(text);
            }
        }
        finally
        {
            WindowsNative.FreeSid(sid);
        }
    }

    public void GrantAccess(string path, AppContainerIdentity appContainer, bool write)
    {
        var sid = new SecurityIdentifier(appContainer.Sid);
        var rights = write ? FileSystemRights.Modify | FileSystemRights.Synchronize : FileSystemRights.ReadAndExecute | FileSystemRights.Synchronize;
        try
        {
            if (Directory.Exists(path))
            {
                var directory = new DirectoryInfo(path);
                var acl = directory.GetAccessControl(AccessControlSections.Access);
                if (!Covers(acl, sid, rights, allowAllPackages: !write))
                {
                    // Inherited by the whole tree: the first run of a profile over a large root can take a while.
                    acl.AddAccessRule(new FileSystemAccessRule(sid, rights, InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
                    directory.SetAccessControl(acl);
                }
            }
            else if (File.Exists(path))
            {
                var file = new FileInfo(path);
                var acl = file.GetAccessControl(AccessControlSections.Access);
                if (!Covers(acl, sid, rights, allowAllPackages: !write))
                {
                    acl.AddAccessRule(new FileSystemAccessRule(sid, rights, AccessControlType.Allow));
                    file.SetAccessControl(acl);
                }
            }
            else
            {
                throw new SandboxUnavailableException($"sandbox root '{path}' does not exist");
            }
        }
        catch (Exception e) when (e is not SandboxUnavailableException)
        {
            throw new SandboxUnavailableException($"could not grant AppContainer '{appContainer.Name}' {(write ? "modify" : "read")} access to '{path}': {e.Message}", e);
        }
    }

    private static bool Covers(FileSystemSecurity acl, SecurityIdentifier sid, FileSystemRights rights, bool allowAllPackages)
    {
        foreach (FileSystemAccessRule rule in acl.GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier)))
        {
            var who = (SecurityIdentifier)rule.IdentityReference;
            if (rule.AccessControlType == AccessControlType.Allow
                && (who == sid || (allowAllPackages && who == AllApplicationPackages))
                && (rule.FileSystemRights & rights) == rights)
            {
                return true;
            }
        }

        return false;
    }

    public IWindowsChild Start(WindowsLaunch launch)
    {
        SafeJobHandle? job = WindowsNative.CreateJobObject(0, null);
        if (job.IsInvalid)
        {
            var error = Marshal.GetLastPInvokeError();
            job.Dispose();
            throw new SandboxUnavailableException("CreateJobObject failed: " + Marshal.GetPInvokeErrorMessage(error));
        }

        AnonymousPipeServerStream? stdin = null;
        AnonymousPipeServerStream? stdout = null;
        AnonymousPipeServerStream? stderr = null;
        nint attributes = 0, sid = 0;
        var attributesInitialised = false;
        try
        {
            var limits = launch.Limits.ToNative();
            if (WindowsNative.SetInformationJobObject(job, WindowsNative.JobObjectExtendedLimitInformationClass, &limits, (uint)sizeof(JobObjectExtendedLimitInformation)) == 0)
            {
                throw Failure("SetInformationJobObject(JobObjectExtendedLimitInformation)");
            }

            stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
            stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
            stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);

            if (WindowsNative.ConvertStringSidToSid(launch.AppContainer.Sid, out sid) == 0)
            {
                throw Failure($"ConvertStringSidToSid({launch.AppContainer.Sid})");
            }

            nuint size = 0;
            _ = WindowsNative.InitializeProcThreadAttributeList(0, 3, 0, ref size);
            attributes = Marshal.AllocHGlobal((nint)size);
            if (WindowsNative.InitializeProcThreadAttributeList(attributes, 3, 0, ref size) == 0)
            {
                throw Failure("InitializeProcThreadAttributeList");
            }

            attributesInitialised = true;

            // The values must stay valid until CreateProcessW returns: they live on this stack frame.
            var jobHandle = job.DangerousGetHandle();
            var inherited = stackalloc nint[3];
            inherited[0] = stdin.ClientSafePipeHandle.DangerousGetHandle();
            inherited[1] = stdout.ClientSafePipeHandle.DangerousGetHandle();
            inherited[2] = stderr.ClientSafePipeHandle.DangerousGetHandle();
            var capabilities = new SecurityCapabilities { AppContainerSid = sid, Capabilities = 0, CapabilityCount = 0 };
            Update(attributes, ProcThreadAttributes.JobList, &jobHandle, (nuint)sizeof(nint));
            Update(attributes, ProcThreadAttributes.SecurityCapabilities, &capabilities, (nuint)sizeof(SecurityCapabilities));
            Update(attributes, ProcThreadAttributes.HandleList, inherited, (nuint)(3 * sizeof(nint)));

            var startup = new StartupInfoEx
            {
                StartupInfo = new StartupInfo
                {
                    Cb = sizeof(StartupInfoEx),
                    Flags = WindowsNative.StartfUseStdHandles,
                    StdInput = inherited[0],
                    StdOutput = inherited[1],
                    StdError = inherited[2],
                },
                AttributeList = attributes,
            };

            ProcessInformation info;
            var commandLine = (launch.CommandLine + "\0").ToCharArray(); // CreateProcessW may write to it
            fixed (char* cmd = commandLine)
            fixed (char* env = launch.EnvironmentBlock)
            {
                if (WindowsNative.CreateProcess(launch.ApplicationName, cmd, 0, 0, 1,
                        WindowsNative.ExtendedStartupInfoPresent | WindowsNative.CreateUnicodeEnvironment | WindowsNative.CreateNoWindow,
                        env, launch.WorkingDirectory, &startup, &info) == 0)
                {
                    throw Failure($"CreateProcessW('{launch.ApplicationName}') in AppContainer '{launch.AppContainer.Name}'");
                }
            }

            WindowsNative.CloseHandle(info.Thread);
            stdin.DisposeLocalCopyOfClientHandle();
            stdout.DisposeLocalCopyOfClientHandle();
            stderr.DisposeLocalCopyOfClientHandle();
            var child = new Win32ChildProcess(job, new SafeProcessHandle(info.Process, ownsHandle: true), info.ProcessId, stdin, stdout, stderr);
            job = null;
            stdin = stdout = stderr = null;
            return child;
        }
        finally
        {
            if (attributesInitialised)
            {
                WindowsNative.DeleteProcThreadAttributeList(attributes);
            }

            if (attributes != 0)
            {
                Marshal.FreeHGlobal(attributes);
            }

            if (sid != 0)
            {
                WindowsNative.LocalFree(sid);
            }

            stdin?.Dispose();
            stdout?.Dispose();
            stderr?.Dispose();
            job?.Dispose();
        }
    }

    private static void Update(nint attributes, nuint attribute, void* value, nuint size)
    {
        if (WindowsNative.UpdateProcThreadAttribute(attributes, 0, attribute, value, size, 0, 0) == 0)
        {
            throw Failure($"UpdateProcThreadAttribute(0x{attribute:X})");
        }
    }

    private static SandboxUnavailableException Failure(string what) =>
        new($"{what} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
