using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Carapace.Plugins.Vetting;

/// <summary>
/// Scans one managed assembly's metadata and IL for banned API use, without loading it: attributes,
/// type forwarders, base types, P/Invoke definitions, signatures, and every method body's
/// call/callvirt/newobj/ldftn/ldfld/ldtoken/… operand and every <c>calli</c> signature.
/// Malformed metadata throws; <see cref="PluginVetter"/> turns that into a finding.
/// </summary>
internal sealed class AssemblyScanner
{
    private readonly PEReader _pe;
    private readonly MetadataReader _md;
    private readonly string _file;
    private readonly FindingSink _sink;

    private AssemblyScanner(PEReader pe, string file, FindingSink sink)
    {
        _pe = pe;
        _md = pe.GetMetadataReader();
        _file = file;
        _sink = sink;
    }

    public static void Scan(PEReader pe, string file, FindingSink sink)
    {
        var scanner = new AssemblyScanner(pe, file, sink);
        scanner.ScanAttributes();
        scanner.ScanForwarders();
        scanner.ScanTypes();
    }

    private void ScanAttributes()
    {
        foreach (var handle in _md.CustomAttributes)
        {
            var attribute = _md.GetCustomAttribute(handle);
            var declaring = attribute.Constructor.Kind switch
            {
                HandleKind.MemberReference => _md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
                HandleKind.MethodDefinition => _md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
                _ => default(EntityHandle),
            };
            if (declaring.IsNil || TypeNames.Of(_md, declaring) is not { } type)
            {
                continue;
            }

            // Matched by name even when the plugin defines the attribute itself: the runtime honours
            // IgnoresAccessChecksToAttribute by name, from any assembly.
            var rule = BannedApis.MatchMember(type.Namespace, type.Name, ".ctor");
            if (rule is null)
            {
                continue;
            }

            var (typeName, methodName) = Locate(attribute.Parent);
            var full = TypeNames.Full(type.Namespace, type.Name);
            var where = methodName ?? typeName ?? "the assembly";
            Report(rule.Code, typeName, methodName, full, $"{where} is marked [{ShortAttribute(type.Name)}]");
        }
    }

    private void ScanForwarders()
    {
        foreach (var handle in _md.ExportedTypes)
        {
            var exported = _md.GetExportedType(handle);
            if (!exported.IsForwarder)
            {
                continue;
            }

            var ns = _md.GetString(exported.Namespace);
            var name = _md.GetString(exported.Name);
            var rule = BannedApis.Rules.FirstOrDefault(r => r.MatchesType(ns, name));
            if (rule is not null)
            {
                var full = TypeNames.Full(ns, name);
                Report(rule.Code, null, null, full, $"forwards the type {full} to another assembly");
            }
        }
    }

    private void ScanTypes()
    {
        foreach (var typeHandle in _md.TypeDefinitions)
        {
            var type = _md.GetTypeDefinition(typeHandle);
            var typeDisplay = TypeNames.Display(_md, typeHandle);
            ScanBaseType(type, typeDisplay);

            foreach (var fieldHandle in type.GetFields())
            {
                var field = _md.GetFieldDefinition(fieldHandle);
                SignatureGuard.CheckSignature(_md, field.Signature);
                if (field.DecodeSignature(SignatureNames.Instance, null).HasUnmanagedFunctionPointer)
                {
                    var fieldDisplay = $"{typeDisplay}.{_md.GetString(field.Name)}";
                    Report(VettingCodes.FunctionPointer, typeDisplay, fieldDisplay, "delegate* unmanaged",
                        $"field {fieldDisplay} holds an unmanaged function pointer");
                }
            }

            foreach (var methodHandle in type.GetMethods())
            {
                ScanMethod(typeDisplay, methodHandle);
            }
        }
    }

    private void ScanBaseType(TypeDefinition type, string typeDisplay)
    {
        if (type.BaseType.IsNil || type.BaseType.Kind == HandleKind.TypeDefinition || TypeNames.Of(_md, type.BaseType) is not { } baseType)
        {
            return;
        }

        // Deriving means calling a base constructor; report it at the type too, which reads better.
        var rule = BannedApis.MatchMember(baseType.Namespace, baseType.Name, ".ctor");
        if (rule is not null)
        {
            var full = TypeNames.Full(baseType.Namespace, baseType.Name);
            Report(rule.Code, typeDisplay, null, full, $"{typeDisplay} derives from {full}");
        }
    }

    private void ScanMethod(string typeDisplay, MethodDefinitionHandle handle)
    {
        var method = _md.GetMethodDefinition(handle);
        SignatureGuard.CheckSignature(_md, method.Signature);
        var signature = method.DecodeSignature(SignatureNames.Instance, null);
        var methodDisplay = $"{typeDisplay}.{_md.GetString(method.Name)}{SignatureNames.Parameters(signature)}";

        if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0)
        {
            var import = method.GetImport();
            var module = import.Module.IsNil ? "?" : _md.GetString(_md.GetModuleReference(import.Module).Name);
            var entry = import.Name.IsNil ? _md.GetString(method.Name) : _md.GetString(import.Name);
            Report(VettingCodes.PInvoke, typeDisplay, methodDisplay, $"{module}!{entry}",
                $"{methodDisplay} is a P/Invoke into {module}!{entry}");
        }

        if (SignatureNames.HasUnmanagedFunctionPointer(signature))
        {
            Report(VettingCodes.FunctionPointer, typeDisplay, methodDisplay, "delegate* unmanaged",
                $"{methodDisplay} takes or returns an unmanaged function pointer");
        }

        if (method.RelativeVirtualAddress != 0)
        {
            ScanBody(_pe.GetMethodBody(method.RelativeVirtualAddress), typeDisplay, methodDisplay);
        }
    }

    private void ScanBody(MethodBodyBlock body, string typeDisplay, string methodDisplay)
    {
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int opcode = il.ReadByte();
            if (opcode == 0xFE)
            {
                opcode = 0xFE00 | il.ReadByte();
            }

            var operand = ILOperands.Of(opcode)
                ?? throw new BadImageFormatException($"undefined IL opcode 0x{opcode:X2} in {methodDisplay}");
            switch (operand)
            {
                case OperandType.InlineSwitch:
                    var targets = il.ReadUInt32();
                    if (targets > (uint)il.RemainingBytes / 4)
                    {
                        throw new BadImageFormatException($"truncated switch in {methodDisplay}");
                    }

                    il.Offset += (int)targets * 4;
                    break;
                case OperandType.InlineSig:
                    InspectCalli(il.ReadInt32(), typeDisplay, methodDisplay);
                    break;
                case var token when ILOperands.IsToken(token):
                    InspectToken(MetadataTokens.EntityHandle(il.ReadInt32()), opcode, typeDisplay, methodDisplay);
                    break;
                default:
                    il.Offset += ILOperands.Size(operand);
                    break;
            }
        }
    }

    private void InspectToken(EntityHandle handle, int opcode, string typeDisplay, string methodDisplay)
    {
        switch (handle.Kind)
        {
            case HandleKind.MethodSpecification:
                InspectToken(_md.GetMethodSpecification((MethodSpecificationHandle)handle).Method, opcode, typeDisplay, methodDisplay);
                break;
            case HandleKind.MemberReference:
                InspectMember((MemberReferenceHandle)handle, opcode, typeDisplay, methodDisplay);
                break;
            case HandleKind.TypeReference or HandleKind.TypeSpecification:
                if (TypeNames.Of(_md, handle) is { } type && BannedApis.MatchType(type.Namespace, type.Name) is { } rule)
                {
                    var full = TypeNames.Full(type.Namespace, type.Name);
                    Report(rule.Code, typeDisplay, methodDisplay, full, $"{methodDisplay} references the type {full}");
                }

                break;
        }
    }

    private void InspectMember(MemberReferenceHandle handle, int opcode, string typeDisplay, string methodDisplay)
    {
        var member = _md.GetMemberReference(handle);
        if (TypeNames.Of(_md, member.Parent) is not { } parent)
        {
            return;
        }

        var name = _md.GetString(member.Name);
        var rule = BannedApis.MatchMember(parent.Namespace, parent.Name, name);
        if (rule is null)
        {
            return;
        }

        var owner = TypeNames.Full(parent.Namespace, parent.Name.Replace('+', '.'));
        string api;
        if (member.GetKind() == MemberReferenceKind.Method)
        {
            SignatureGuard.CheckSignature(_md, member.Signature);
            var parameters = SignatureNames.Parameters(member.DecodeMethodSignature(SignatureNames.Instance, null));
            api = name == ".ctor" ? $"new {owner}{parameters}" : $"{owner}.{name}{parameters}";
        }
        else
        {
            api = $"{owner}.{name}";
        }

        var verb = opcode switch
        {
            0x28 or 0x6F or 0x73 or 0x27 => "calls",
            0xFE06 or 0xFE07 => "takes the address of",
            _ => "uses",
        };
        Report(rule.Code, typeDisplay, methodDisplay, api, $"{methodDisplay} {verb} {api}");
    }

    private void InspectCalli(int token, string typeDisplay, string methodDisplay)
    {
        var handle = MetadataTokens.EntityHandle(token);
        if (handle.Kind != HandleKind.StandaloneSignature)
        {
            throw new BadImageFormatException($"calli without a signature token in {methodDisplay}");
        }

        var blob = _md.GetBlobReader(_md.GetStandaloneSignature((StandaloneSignatureHandle)handle).Signature);
        var header = blob.ReadSignatureHeader();
        if (header.CallingConvention is not (SignatureCallingConvention.Default or SignatureCallingConvention.VarArgs))
        {
            var api = header.CallingConvention == SignatureCallingConvention.Unmanaged
                ? "calli unmanaged"
                : $"calli unmanaged {header.CallingConvention.ToString().ToLowerInvariant()}";
            Report(VettingCodes.FunctionPointer, typeDisplay, methodDisplay, api,
                $"{methodDisplay} calls through an unmanaged function pointer ({api})");
        }
    }

    private (string? Type, string? Method) Locate(EntityHandle parent)
    {
        switch (parent.Kind)
        {
            case HandleKind.TypeDefinition:
                return (TypeNames.Display(_md, (TypeDefinitionHandle)parent), null);
            case HandleKind.MethodDefinition:
                var method = _md.GetMethodDefinition((MethodDefinitionHandle)parent);
                var typeDisplay = TypeNames.Display(_md, method.GetDeclaringType());
                SignatureGuard.CheckSignature(_md, method.Signature);
                var signature = method.DecodeSignature(SignatureNames.Instance, null);
                return (typeDisplay, $"{typeDisplay}.{_md.GetString(method.Name)}{SignatureNames.Parameters(signature)}");
            default:
                return (null, null);
        }
    }

    private void Report(string code, string? type, string? method, string? api, string detail) =>
        _sink.Add(new VettingFinding(code, _file, type, method, api, $"{_file}: {detail}"));

    private static string ShortAttribute(string name) =>
        name.EndsWith("Attribute", StringComparison.Ordinal) ? name[..^"Attribute".Length] : name;
}
