using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Carapace.Plugins.Vetting;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Vetting;

/// <summary>
/// Assemblies no compiler emits, written with System.Reflection.Metadata's builder: the vetter runs
/// in the host, so malformed metadata must end as a finding, never as a StackOverflowException
/// (which no catch block can stop).
/// </summary>
public sealed class HostileMetadataTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_type_signature_nested_a_hundred_thousand_deep_is_a_finding_not_a_crash()
    {
        var blob = new BlobBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            blob.WriteByte(0x1D); // SZARRAY
        }

        blob.WriteByte(0x08); // I4

        AssertUnreadable(WriteAssemblyReferencing(blob), "nests deeper");
    }

    [Fact]
    public void A_type_specification_that_refers_to_itself_is_vetted_without_recursing()
    {
        // modreq(TypeSpec #1) int32, as TypeSpec #1: decoding the modifier would recurse forever.
        var blob = new BlobBuilder();
        blob.WriteByte(0x1F); // CMOD_REQD
        blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(MetadataTokens.TypeSpecificationHandle(1)));
        blob.WriteByte(0x08);

        var report = PluginVetter.Vet(Path.GetDirectoryName(WriteAssemblyReferencing(blob))!);

        Assert.True(report.IsClean, string.Join("\n", report.Findings));
        Assert.Single(report.ScannedAssemblies);
    }

    [Fact]
    public void A_generic_argument_count_beyond_the_blob_is_a_finding()
    {
        var blob = new BlobBuilder();
        blob.WriteByte(0x15); // GENERICINST
        blob.WriteByte(0x12); // CLASS
        blob.WriteCompressedInteger(CodedIndex.TypeDefOrRefOrSpec(MetadataTokens.TypeReferenceHandle(1)));
        blob.WriteCompressedInteger(0x1FFFFFFF);

        AssertUnreadable(WriteAssemblyReferencing(blob), "count exceeds");
    }

    [Fact]
    public void A_shallow_generic_type_specification_still_decodes()
    {
        var blob = new BlobBuilder();
        new BlobEncoder(blob).TypeSpecificationSignature().SZArray().Int32();

        var report = PluginVetter.Vet(Path.GetDirectoryName(WriteAssemblyReferencing(blob))!);

        Assert.True(report.IsClean, string.Join("\n", report.Findings));
        Assert.Single(report.ScannedAssemblies);
    }

    private static void AssertUnreadable(string path, string reason)
    {
        var report = PluginVetter.Vet(Path.GetDirectoryName(path)!);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(VettingCodes.UnreadableAssembly, finding.Code);
        Assert.Contains(reason, finding.Message, StringComparison.Ordinal);
    }

    /// <summary>A library with one type whose one method does <c>ldtoken &lt;TypeSpec #1&gt;; pop; ret</c>.</summary>
    private string WriteAssemblyReferencing(BlobBuilder typeSpecification)
    {
        var metadata = new MetadataBuilder();
        metadata.AddModule(0, metadata.GetOrAddString("Hostile.dll"), metadata.GetOrAddGuid(Guid.NewGuid()), default, default);
        metadata.AddAssembly(metadata.GetOrAddString("Hostile"), new Version(1, 0, 0, 0), default, default, 0, AssemblyHashAlgorithm.None);
        var runtime = metadata.AddAssemblyReference(metadata.GetOrAddString("System.Runtime"), new Version(10, 0, 0, 0), default, default, 0, default);
        var objectType = metadata.AddTypeReference(runtime, metadata.GetOrAddString("System"), metadata.GetOrAddString("Object"));
        var specification = metadata.AddTypeSpecification(metadata.GetOrAddBlob(typeSpecification));

        var il = new InstructionEncoder(new BlobBuilder());
        il.OpCode(ILOpCode.Ldtoken);
        il.Token(specification);
        il.OpCode(ILOpCode.Pop);
        il.OpCode(ILOpCode.Ret);
        var bodies = new MethodBodyStreamEncoder(new BlobBuilder());
        var bodyOffset = bodies.AddMethodBody(il);

        var signature = new BlobBuilder();
        new BlobEncoder(signature).MethodSignature().Parameters(0, r => r.Void(), _ => { });

        metadata.AddTypeDefinition(default, default, metadata.GetOrAddString("<Module>"), default,
            MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        metadata.AddTypeDefinition(TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed,
            metadata.GetOrAddString("Hostile"), metadata.GetOrAddString("Tool"), objectType,
            MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        metadata.AddMethodDefinition(MethodAttributes.Public | MethodAttributes.Static | MethodAttributes.HideBySig,
            MethodImplAttributes.IL, metadata.GetOrAddString("Run"), metadata.GetOrAddBlob(signature), bodyOffset, default);

        var image = new BlobBuilder();
        new ManagedPEBuilder(PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(metadata), bodies.Builder).Serialize(image);
        var directory = Directory.CreateDirectory(Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"))).FullName;
        var path = Path.Combine(directory, "Hostile.dll");
        File.WriteAllBytes(path, image.ToArray());
        return path;
    }
}
