using System.Reflection;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Vetting;

/// <summary>
/// plugins/BannedSymbols.txt is enforced by the Roslyn analyzer at plugin build time, and an id that
/// names nothing (a typo, a wrong parameter type) silently bans nothing. Every id must resolve.
/// </summary>
public sealed class BannedSymbolsTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    [Fact]
    public void Every_banned_symbol_names_an_api_that_exists()
    {
        var ids = File.ReadLines(Path.Combine(RepositoryRoot.Path, "plugins", "BannedSymbols.txt"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal))
            .Select(l => l.Split(';')[0])
            // Serilog is not part of the framework: that entry only matters to a plugin that references it.
            .Where(id => !id.StartsWith("T:Serilog.", StringComparison.Ordinal))
            .ToList();

        Assert.True(ids.Count > 30, $"only {ids.Count} entries read");
        Assert.Equal([], ids.Where(id => !Resolves(id)).ToList());
    }

    [Theory]
    [InlineData("T:System.Diagnostics.DiagnosticListener", true)]
    [InlineData("T:System.Diagnostics.DiagnosticListenr", false)]
    [InlineData("M:System.Threading.ThreadPool.RegisterWaitForSingleObject(System.Threading.WaitHandle,System.Threading.WaitOrTimerCallback,System.Object,System.Int32,System.Boolean)", true)]
    [InlineData("M:System.Threading.ThreadPool.RegisterWaitForSingleObject(System.Threading.WaitHandle,System.Threading.WaitOrTimerCallback,System.Object,System.Int16,System.Boolean)", false)]
    [InlineData("M:System.Diagnostics.Process.Start(System.String,System.Collections.Generic.IEnumerable{System.String})", true)]
    [InlineData("E:System.AppDomain.ProcessExit", true)]
    [InlineData("E:System.AppDomain.ProcessExited", false)]
    public void The_resolver_tells_real_ids_from_typos(string id, bool exists) => Assert.Equal(exists, Resolves(id));

    private static bool Resolves(string id)
    {
        var kind = id[0];
        var name = id[2..];
        if (kind == 'T')
        {
            return FindType(name) is not null;
        }

        var open = name.IndexOf('(', StringComparison.Ordinal);
        var head = open < 0 ? name : name[..open];
        var parameters = open < 0 ? string.Empty : name[(open + 1)..^1];
        var dot = head.LastIndexOf('.');
        if (FindType(head[..dot]) is not { } type)
        {
            return false;
        }

        var member = head[(dot + 1)..];
        return kind switch
        {
            'E' => type.GetEvent(member, All) is not null,
            'P' => type.GetProperty(member, All) is not null,
            'F' => type.GetField(member, All) is not null,
            'M' when member == "#ctor" => type.GetConstructors(All).Any(c => Signature(c) == parameters),
            'M' => type.GetMethods(All).Any(m => m.Name == member && Signature(m) == parameters),
            _ => false,
        };
    }

    private static string Signature(MethodBase method) => string.Join(",", method.GetParameters().Select(p => DocName(p.ParameterType)));

    /// <summary>A type as documentation ids write it: generic arguments in braces, no arity suffix.</summary>
    private static string DocName(Type type)
    {
        if (type.IsByRef)
        {
            return DocName(type.GetElementType()!) + "@";
        }

        if (type.IsArray)
        {
            return DocName(type.GetElementType()!) + "[]";
        }

        if (!type.IsGenericType)
        {
            return type.FullName!.Replace('+', '.');
        }

        var definition = type.GetGenericTypeDefinition().FullName!;
        return $"{definition[..definition.IndexOf('`', StringComparison.Ordinal)].Replace('+', '.')}{{{string.Join(",", type.GetGenericArguments().Select(DocName))}}}";
    }

    private static Type? FindType(string fullName)
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName, throwOnError: false)).FirstOrDefault(t => t is not null);
        if (loaded is not null)
        {
            return loaded;
        }

        // Not loaded yet: look through the shared framework this test runs on.
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.*.dll"))
        {
            try
            {
                if (Assembly.Load(AssemblyName.GetAssemblyName(file)).GetType(fullName, throwOnError: false) is { } found)
                {
                    return found;
                }
            }
            catch (BadImageFormatException)
            {
                // A native library next to the managed ones.
            }
        }

        return null;
    }
}
