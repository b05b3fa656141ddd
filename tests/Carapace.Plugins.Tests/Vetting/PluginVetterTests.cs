using Carapace.Plugins.Tests.Packaging;
using Carapace.Plugins.Vetting;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Vetting;

/// <summary>
/// Vets real compiled assemblies (tests/Fixtures/Vetting, built with this project and copied next to
/// it, never loaded). Each Banned fixture type uses one banned API.
/// </summary>
public sealed class PluginVetterTests : IDisposable
{
    private const string Banned = "Carapace.Fixtures.Vetting.Banned";
    private readonly TempDirectory _temp = new();

    public PluginVetterTests() => BannedReport = VetPackageWith("Banned");

    private VettingReport BannedReport { get; }

    public void Dispose() => _temp.Dispose();

    private VettingReport VetPackageWith(string fixture)
    {
        var directory = Path.Combine(_temp.Path, fixture);
        Directory.CreateDirectory(Path.Combine(directory, "lib"));
        File.WriteAllText(Path.Combine(directory, "plugin.yaml"), TestPackages.Manifest);
        File.Copy(TestPackages.Fixture(fixture), Path.Combine(directory, "lib", $"Carapace.Fixtures.Vetting.{fixture}.dll"));
        return PluginVetter.Vet(directory);
    }

    private VettingFinding FindingFor(string code, string type)
    {
        var matches = BannedReport.Findings.Where(f => f.Code == code && f.Type == $"{Banned}.{type}").ToList();
        Assert.True(matches.Count > 0, $"no {code} finding for {type}; findings:\n{string.Join("\n", BannedReport.Findings)}");
        return matches[0];
    }

    [Fact]
    public void Process_start_is_a_finding_naming_the_method_and_the_api()
    {
        var finding = FindingFor(VettingCodes.Process, "ProcessTool");

        Assert.Equal($"lib/{Banned}.dll", finding.File);
        Assert.Equal($"{Banned}.ProcessTool.Run()", finding.Method);
        Assert.Equal("System.Diagnostics.Process.Start(ProcessStartInfo)", finding.Api);
        Assert.Equal($"lib/{Banned}.dll: {Banned}.ProcessTool.Run() calls System.Diagnostics.Process.Start(ProcessStartInfo)", finding.Message);
        Assert.False(BannedReport.IsClean);
    }

    [Fact]
    public void DllImport_is_a_pinvoke_finding_with_library_and_entry_point()
    {
        var finding = FindingFor(VettingCodes.PInvoke, "NativeTool");

        Assert.Equal("libc!getpid", finding.Api);
        Assert.Contains("NativeTool.GetPid() is a P/Invoke into libc!getpid", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LibraryImport_is_a_pinvoke_finding()
    {
        var findings = BannedReport.Findings.Where(f => f.Code == VettingCodes.PInvoke && f.Type == $"{Banned}.GeneratedNativeTool").ToList();

        Assert.Contains(findings, f => f.Api == "System.Runtime.InteropServices.LibraryImportAttribute");
        Assert.Contains(findings, f => f.Api == "libc!getppid");
    }

    [Fact]
    public void Unmanaged_function_pointers_are_findings()
    {
        var findings = BannedReport.Findings.Where(f => f.Code == VettingCodes.FunctionPointer).ToList();

        Assert.Contains(findings, f => f.Method == $"{Banned}.FunctionPointerTool.CallNative(nint)" && f.Api == "calli unmanaged");
        Assert.Contains(findings, f => f.Method == $"{Banned}.FunctionPointerTool.WrapNative(nint)"
            && f.Api == "System.Runtime.InteropServices.Marshal.GetDelegateForFunctionPointer(nint)");
    }

    [Fact]
    public void Assembly_LoadFrom_is_a_finding()
    {
        Assert.Equal("System.Reflection.Assembly.LoadFrom(string)", FindingFor(VettingCodes.AssemblyLoad, "LoaderTool").Api);
    }

    [Fact]
    public void New_load_contexts_and_LoadFromAssemblyPath_are_findings()
    {
        Assert.Contains("derives from System.Runtime.Loader.AssemblyLoadContext", FindingFor(VettingCodes.LoadContext, "PrivateContext").Message, StringComparison.Ordinal);
        Assert.Contains(BannedReport.Findings, f => f.Type == $"{Banned}.ContextTool"
            && f.Api == "System.Runtime.Loader.AssemblyLoadContext.LoadFromAssemblyPath(string)");
    }

    [Fact]
    public void Reflection_Emit_is_a_finding()
    {
        Assert.Contains(BannedReport.Findings, f => f.Code == VettingCodes.ReflectionEmit && f.Type == $"{Banned}.EmitTool"
            && f.Api == "new System.Reflection.Emit.DynamicMethod(string, Type, Type[])");
    }

    [Fact]
    public void New_HttpClient_is_a_finding()
    {
        Assert.Equal("new System.Net.Http.HttpClient()", FindingFor(VettingCodes.HttpClient, "HttpTool").Api);
    }

    [Fact]
    public void Sockets_are_findings()
    {
        Assert.Contains(BannedReport.Findings, f => f.Code == VettingCodes.Sockets && f.Type == $"{Banned}.SocketTool"
            && f.Api == "new System.Net.Sockets.Socket(AddressFamily, SocketType, ProtocolType)");
    }

    [Fact]
    public void GCHandle_Alloc_is_a_finding()
    {
        Assert.Equal("System.Runtime.InteropServices.GCHandle.Alloc(object)", FindingFor(VettingCodes.GCHandle, "HandleTool").Api);
    }

    [Fact]
    public void AppDomain_AssemblyResolve_is_a_finding()
    {
        Assert.Equal("System.AppDomain.add_AssemblyResolve(ResolveEventHandler)", FindingFor(VettingCodes.GlobalEvent, "ResolveTool").Api);
    }

    [Fact]
    public void New_Thread_and_Environment_Exit_are_findings()
    {
        Assert.Equal("new System.Threading.Thread(ThreadStart)", FindingFor(VettingCodes.Thread, "ThreadTool").Api);
        Assert.Equal("System.Environment.Exit(int)", FindingFor(VettingCodes.EnvironmentExit, "ExitTool").Api);
    }

    [Fact]
    public void A_type_token_for_a_banned_type_is_a_finding()
    {
        Assert.Contains("references the type System.Diagnostics.Process", FindingFor(VettingCodes.Process, "ReflectionTool").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Access_check_bypasses_and_forwarders_are_findings()
    {
        Assert.Contains(BannedReport.Findings, f => f.Code == VettingCodes.AccessCheckBypass && f.Message.Contains("the assembly is marked [IgnoresAccessChecksTo]", StringComparison.Ordinal));
        Assert.Contains(BannedReport.Findings, f => f.Code == VettingCodes.AccessCheckBypass && f.Type == $"{Banned}.AccessorTool");
        Assert.Contains(BannedReport.Findings, f => f.Code == VettingCodes.Process && f.Message.Contains("forwards the type System.Diagnostics.Process", StringComparison.Ordinal));
    }

    [Fact]
    public void A_clean_plugin_assembly_has_no_findings()
    {
        var report = VetPackageWith("Clean");

        Assert.True(report.IsClean, string.Join("\n", report.Findings));
        Assert.Equal(["lib/Carapace.Fixtures.Vetting.Clean.dll"], report.ScannedAssemblies);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("mz-only")]
    public void A_malformed_assembly_is_a_finding_not_a_crash(string kind)
    {
        var directory = Path.Combine(_temp.Path, "broken");
        Directory.CreateDirectory(directory);
        var real = File.ReadAllBytes(TestPackages.Fixture("Banned"));
        byte[] content = kind switch
        {
            "garbage" => [(byte)'M', (byte)'Z', .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096)],
            "truncated" => real[..(real.Length / 2)],
            "empty" => [],
            _ => [(byte)'M', (byte)'Z'],
        };
        File.WriteAllBytes(Path.Combine(directory, "Broken.dll"), content);

        var report = PluginVetter.Vet(directory);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(VettingCodes.UnreadableAssembly, finding.Code);
        Assert.Equal("Broken.dll", finding.File);
    }

    [Fact]
    public void An_assembly_with_corrupted_il_is_a_finding_not_a_crash()
    {
        var directory = Path.Combine(_temp.Path, "corrupt");
        Directory.CreateDirectory(directory);
        var bytes = File.ReadAllBytes(TestPackages.Fixture("Banned"));
        // Overwrite the middle of the image (method bodies, metadata) with 0xFF: undefined opcodes and bad tokens.
        for (var i = bytes.Length / 3; i < bytes.Length / 3 * 2; i++)
        {
            bytes[i] = 0xFF;
        }

        File.WriteAllBytes(Path.Combine(directory, "Corrupt.dll"), bytes);

        var report = PluginVetter.Vet(directory);

        Assert.Contains(report.Findings, f => f.Code == VettingCodes.UnreadableAssembly && f.File == "Corrupt.dll");
    }

    [Fact]
    public void A_native_library_is_a_finding_whatever_its_name()
    {
        var directory = Path.Combine(_temp.Path, "native");
        Directory.CreateDirectory(Path.Combine(directory, "runtimes", "linux-x64", "native"));
        File.Copy("/bin/true", Path.Combine(directory, "runtimes", "linux-x64", "native", "libhelper.so"));
        File.Copy("/bin/true", Path.Combine(directory, "helper.dat"));

        var report = PluginVetter.Vet(directory);

        Assert.Equal(["helper.dat", "runtimes/linux-x64/native/libhelper.so"],
            report.Findings.Where(f => f.Code == VettingCodes.NativeLibrary).Select(f => f.File).Order(StringComparer.Ordinal));
        Assert.All(report.Findings, f => Assert.Contains("ELF", f.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Resources_and_non_dotnet_files_are_ignored()
    {
        var directory = Path.Combine(_temp.Path, "resources");
        Directory.CreateDirectory(Path.Combine(directory, "wwwroot"));
        File.WriteAllText(Path.Combine(directory, "plugin.yaml"), TestPackages.Manifest);
        File.WriteAllText(Path.Combine(directory, "Tool.deps.json"), "{}");
        File.WriteAllBytes(Path.Combine(directory, "wwwroot", "logo.png"), [0x89, 0x50, 0x4E, 0x47]);
        File.WriteAllBytes(Path.Combine(directory, "Tool.pdb"), "BSJB"u8.ToArray());
        File.WriteAllText(Path.Combine(directory, "notes.so"), "not really a library");

        var report = PluginVetter.Vet(directory);

        Assert.True(report.IsClean, string.Join("\n", report.Findings));
        Assert.Empty(report.ScannedAssemblies);
    }

    [Fact]
    public void Findings_are_counted_by_code()
    {
        var counts = BannedReport.CountsByCode;

        Assert.Equal(BannedReport.Findings.Count, counts.Values.Sum());
        Assert.True(counts[VettingCodes.Process] >= 3);
        Assert.False(BannedReport.Truncated);
    }
}
