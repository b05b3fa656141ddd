namespace Carapace.Plugins.Vetting;

/// <summary>
/// One banned API. A rule names a namespace (every type in it and below) or one type, and either
/// bans every member (<see cref="Members"/> null: any member use, any type token, deriving from it)
/// or only the members its predicate accepts (<c>.ctor</c> for constructors, <c>add_X</c> for event
/// subscriptions, <c>get_X</c> for properties).
/// </summary>
internal sealed record BannedApiRule(string Code, string? Namespace, string? TypeName, Func<string, bool>? Members)
{
    public bool BansWholeType => Members is null;

    public bool MatchesType(string @namespace, string typeName) =>
        Namespace is not null
            ? @namespace == Namespace || @namespace.StartsWith(Namespace + ".", StringComparison.Ordinal)
            : TypeName == (@namespace.Length == 0 ? typeName : @namespace + "." + typeName);
}

/// <summary>
/// The banned-API table. Types are matched by name, whatever assembly the reference points at, so a
/// type forwarder in a bundled assembly cannot smuggle a banned type under another scope.
/// </summary>
/// <remarks>
/// Judgement calls, also listed in docs/plugin-packages.md:
/// <list type="bullet">
/// <item><c>HttpClient</c>/<c>HttpMessageInvoker</c>: only construction is banned. The ABI never hands
/// a plugin an HttpClient, so any instance must be built somewhere in the package, where the
/// constructor call is found; banning every member would only multiply findings.</item>
/// <item><c>Thread</c>: construction only; the thread pool and tasks are fine (they carry no plugin
/// frames once the work is cancelled and awaited).</item>
/// <item><c>Environment.Exit</c> and <c>FailFast</c>: banned, a plugin must not end the host.</item>
/// <item><c>AssemblyLoadContext</c>: everything but the read-only <c>GetLoadContext</c>, <c>Name</c>,
/// <c>IsCollectible</c>, <c>CurrentContextualReflectionContext</c>.</item>
/// <item>Not banned: reflection invoke, <c>Type.GetType(string)</c>, <c>Marshal</c> memory access,
/// <c>Unsafe</c>, <c>AppContext.SetSwitch</c>. Static vetting cannot follow reflection; it is a
/// tripwire for the obvious routes, not a sandbox (ARCHITECTURE §5).</item>
/// </list>
/// </remarks>
internal static class BannedApis
{
    private static readonly HashSet<string> ReadOnlyLoadContextMembers = new(StringComparer.Ordinal)
    {
        "GetLoadContext", "get_Name", "get_IsCollectible", "get_CurrentContextualReflectionContext", "ToString",
    };

    public static IReadOnlyList<BannedApiRule> Rules { get; } =
    [
        WholeType(VettingCodes.Process, "System.Diagnostics.Process"),

        WholeType(VettingCodes.PInvoke, "System.Runtime.InteropServices.NativeLibrary"),
        WholeType(VettingCodes.PInvoke, "System.Runtime.InteropServices.LibraryImportAttribute"),
        WholeType(VettingCodes.PInvoke, "System.Runtime.InteropServices.DllImportAttribute"),

        Members(VettingCodes.FunctionPointer, "System.Runtime.InteropServices.Marshal", "GetDelegateForFunctionPointer"),
        WholeType(VettingCodes.FunctionPointer, "System.Runtime.InteropServices.UnmanagedCallersOnlyAttribute"),

        WholeNamespace(VettingCodes.Sockets, "System.Net.Sockets"),
        WholeNamespace(VettingCodes.Sockets, "System.Net.Quic"),

        Members(VettingCodes.HttpClient, "System.Net.Http.HttpClient", ".ctor"),
        Members(VettingCodes.HttpClient, "System.Net.Http.HttpMessageInvoker", ".ctor"),
        WholeType(VettingCodes.HttpClient, "System.Net.Http.SocketsHttpHandler"),
        WholeType(VettingCodes.HttpClient, "System.Net.Http.HttpClientHandler"),
        WholeType(VettingCodes.HttpClient, "System.Net.WebRequest"),
        WholeType(VettingCodes.HttpClient, "System.Net.HttpWebRequest"),
        WholeType(VettingCodes.HttpClient, "System.Net.FtpWebRequest"),
        WholeType(VettingCodes.HttpClient, "System.Net.FileWebRequest"),
        WholeType(VettingCodes.HttpClient, "System.Net.WebClient"),
        WholeType(VettingCodes.HttpClient, "System.Net.WebSockets.ClientWebSocket"),
        WholeType(VettingCodes.HttpClient, "System.Net.Mail.SmtpClient"),
        WholeType(VettingCodes.HttpClient, "System.Net.NetworkInformation.Ping"),

        Members(VettingCodes.AssemblyLoad, "System.Reflection.Assembly",
            "Load", "LoadFrom", "LoadFile", "UnsafeLoadFrom", "LoadWithPartialName", "ReflectionOnlyLoad", "ReflectionOnlyLoadFrom"),
        Members(VettingCodes.AssemblyLoad, "System.AppDomain", "Load", "ExecuteAssembly", "ExecuteAssemblyByName"),

        new(VettingCodes.LoadContext, null, "System.Runtime.Loader.AssemblyLoadContext", m => !ReadOnlyLoadContextMembers.Contains(m)),

        WholeNamespace(VettingCodes.ReflectionEmit, "System.Reflection.Emit"),

        new(VettingCodes.GlobalEvent, null, "System.AppDomain", m => m.StartsWith("add_", StringComparison.Ordinal)),
        Members(VettingCodes.GlobalEvent, "System.Console", "add_CancelKeyPress"),
        Members(VettingCodes.GlobalEvent, "System.Runtime.InteropServices.PosixSignalRegistration", "Create"),

        Members(VettingCodes.GCHandle, "System.Runtime.InteropServices.GCHandle", "Alloc"),
        Members(VettingCodes.GCHandle, "System.Runtime.InteropServices.GCHandle`1", ".ctor"),
        Members(VettingCodes.GCHandle, "System.Runtime.InteropServices.PinnedGCHandle`1", ".ctor"),

        Members(VettingCodes.Thread, "System.Threading.Thread", ".ctor"),

        Members(VettingCodes.EnvironmentExit, "System.Environment", "Exit", "FailFast"),

        WholeType(VettingCodes.AccessCheckBypass, "System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute"),
        WholeType(VettingCodes.AccessCheckBypass, "System.Runtime.CompilerServices.UnsafeAccessorAttribute"),
        WholeType(VettingCodes.AccessCheckBypass, "System.Runtime.CompilerServices.UnsafeAccessorTypeAttribute"),
    ];

    /// <summary>The first rule banning <paramref name="member"/> of the type, or null.</summary>
    public static BannedApiRule? MatchMember(string @namespace, string typeName, string member)
    {
        foreach (var rule in Rules)
        {
            if (rule.MatchesType(@namespace, typeName) && (rule.Members is null || rule.Members(member)))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The first rule banning every use of the type (type tokens, forwarders), or null.</summary>
    public static BannedApiRule? MatchType(string @namespace, string typeName)
    {
        foreach (var rule in Rules)
        {
            if (rule.BansWholeType && rule.MatchesType(@namespace, typeName))
            {
                return rule;
            }
        }

        return null;
    }

    private static BannedApiRule WholeType(string code, string type) => new(code, null, type, null);

    private static BannedApiRule WholeNamespace(string code, string @namespace) => new(code, @namespace, null, null);

    private static BannedApiRule Members(string code, string type, params string[] members)
    {
        var set = new HashSet<string>(members, StringComparer.Ordinal);
        return new(code, null, type, set.Contains);
    }
}
