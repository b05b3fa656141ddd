namespace Carapace.Plugins.Vetting;

/// <summary>Stable codes of <see cref="VettingFinding.Code"/>; the table in docs/plugin-packages.md explains each.</summary>
internal static class VettingCodes
{
    /// <summary>Any member of <c>System.Diagnostics.Process</c>: subprocesses must go through the sandbox broker.</summary>
    public const string Process = "process";

    /// <summary>A P/Invoke method (<c>DllImport</c>, <c>LibraryImport</c> stubs) or <c>NativeLibrary</c>.</summary>
    public const string PInvoke = "pinvoke";

    /// <summary>Unmanaged function pointers: <c>calli</c> unmanaged, <c>delegate* unmanaged</c>, <c>GetDelegateForFunctionPointer</c>, <c>[UnmanagedCallersOnly]</c>.</summary>
    public const string FunctionPointer = "function_pointer";

    /// <summary><c>System.Net.Sockets</c> and <c>System.Net.Quic</c>: raw network access around the SSRF guard.</summary>
    public const string Sockets = "sockets";

    /// <summary>Direct HTTP/WebSocket/SMTP clients and handlers: outbound HTTP must use <c>IPluginHttp</c>.</summary>
    public const string HttpClient = "http_client";

    /// <summary><c>Assembly.Load*</c>, <c>LoadFrom</c>, <c>LoadFile</c>, <c>UnsafeLoadFrom</c>, <c>AppDomain.Load</c>.</summary>
    public const string AssemblyLoad = "assembly_load";

    /// <summary>Creating or driving an <c>AssemblyLoadContext</c> (new contexts, <c>LoadFromAssemblyPath</c>, <c>Resolving</c>).</summary>
    public const string LoadContext = "load_context";

    /// <summary><c>System.Reflection.Emit</c>: generated code the vetter cannot see.</summary>
    public const string ReflectionEmit = "reflection_emit";

    /// <summary>Process-wide event hooks: <c>AppDomain</c> events, <c>Console.CancelKeyPress</c>, <c>PosixSignalRegistration</c>.</summary>
    public const string GlobalEvent = "global_event";

    /// <summary><c>GCHandle.Alloc</c> and strong/pinned handle constructors: they pin the plugin past unload.</summary>
    public const string GCHandle = "gchandle";

    /// <summary><c>new Thread</c>: a foreground thread with plugin frames blocks unload.</summary>
    public const string Thread = "thread";

    /// <summary><c>Environment.Exit</c> / <c>FailFast</c>: a plugin must not end the host.</summary>
    public const string EnvironmentExit = "environment_exit";

    /// <summary><c>IgnoresAccessChecksTo</c>, <c>UnsafeAccessor</c>: reaching runtime internals around every other rule.</summary>
    public const string AccessCheckBypass = "access_check_bypass";

    /// <summary>A native library or executable (ELF, Mach-O, non-.NET PE) shipped in the package.</summary>
    public const string NativeLibrary = "native_library";

    /// <summary>A .NET assembly that also carries native code (mixed-mode C++/CLI, ReadyToRun) the IL scan cannot vet.</summary>
    public const string NativeCode = "native_code";

    /// <summary>A file that looks like an assembly but cannot be read (malformed, truncated).</summary>
    public const string UnreadableAssembly = "unreadable_assembly";
}
