// Each type uses exactly one banned API so that tests can match findings to a type and method.
// None of this code is ever executed: the vetter reads the IL with System.Reflection.Metadata.
using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Carapace.Fixtures.Vetting.Banned;

public static class ProcessTool
{
    public static void Run() => Process.Start(new ProcessStartInfo("/bin/true"))?.Dispose();
}

public static class NativeTool
{
    [DllImport("libc", EntryPoint = "getpid")]
    public static extern int GetPid();
}

public static partial class GeneratedNativeTool
{
    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetParentPid();
}

public static unsafe class FunctionPointerTool
{
    public static int CallNative(IntPtr address) => ((delegate* unmanaged<int>)address)();

    public static Func<int> WrapNative(IntPtr address) => Marshal.GetDelegateForFunctionPointer<Func<int>>(address);
}

public static class LoaderTool
{
    public static Assembly LoadPlugin(string path) => Assembly.LoadFrom(path);
}

public sealed class PrivateContext : AssemblyLoadContext
{
    public PrivateContext() : base("private", isCollectible: false) { }
}

public static class ContextTool
{
    public static Assembly LoadInto(string path) => AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
}

public static class EmitTool
{
    public static Delegate Build()
    {
        var method = new DynamicMethod("answer", typeof(int), Type.EmptyTypes);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4, 42);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate(typeof(Func<int>));
    }
}

public static class HttpTool
{
    public static Task<string> Fetch(string url)
    {
        var client = new HttpClient();
        return client.GetStringAsync(url);
    }
}

public static class SocketTool
{
    public static void Connect()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect("127.0.0.1", 80);
    }
}

public static class HandleTool
{
    public static GCHandle Pin(object value) => GCHandle.Alloc(value);
}

public static class ResolveTool
{
    public static void Hook() => AppDomain.CurrentDomain.AssemblyResolve += (_, _) => null;
}

public static class ThreadTool
{
    public static void Spawn() => new Thread(() => { }).Start();
}

public static class ExitTool
{
    public static void Quit() => Environment.Exit(3);
}

public static class ReflectionTool
{
    // Not a call: a metadata token for the type is enough to reach it through reflection.
    public static Type Reach() => typeof(Process);
}

public static class AccessorTool
{
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Method, Name = "get_Length")]
    public static extern int HiddenLength(string value);
}
