using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace Carapace.Plugins.Vetting;

/// <summary>
/// A decoded type in a signature: its namespace and (nesting-qualified) name when it is a named type
/// or a generic instantiation of one, a short display form for messages, and whether it contains an
/// unmanaged function pointer anywhere inside.
/// </summary>
internal readonly record struct SignatureType(string? Namespace, string? Name, string Display, bool HasUnmanagedFunctionPointer)
{
    public static SignatureType Unnamed(string display, bool unmanaged = false) => new(null, null, display, unmanaged);
}

/// <summary>Decodes signatures into <see cref="SignatureType"/> with System.Reflection.Metadata's decoder.</summary>
internal sealed class SignatureNames : ISignatureTypeProvider<SignatureType, object?>
{
    public static SignatureNames Instance { get; } = new();

    public SignatureType GetPrimitiveType(PrimitiveTypeCode typeCode) => SignatureType.Unnamed(typeCode switch
    {
        PrimitiveTypeCode.Boolean => "bool",
        PrimitiveTypeCode.Byte => "byte",
        PrimitiveTypeCode.SByte => "sbyte",
        PrimitiveTypeCode.Char => "char",
        PrimitiveTypeCode.Int16 => "short",
        PrimitiveTypeCode.UInt16 => "ushort",
        PrimitiveTypeCode.Int32 => "int",
        PrimitiveTypeCode.UInt32 => "uint",
        PrimitiveTypeCode.Int64 => "long",
        PrimitiveTypeCode.UInt64 => "ulong",
        PrimitiveTypeCode.Single => "float",
        PrimitiveTypeCode.Double => "double",
        PrimitiveTypeCode.String => "string",
        PrimitiveTypeCode.Object => "object",
        PrimitiveTypeCode.IntPtr => "nint",
        PrimitiveTypeCode.UIntPtr => "nuint",
        PrimitiveTypeCode.Void => "void",
        PrimitiveTypeCode.TypedReference => "TypedReference",
        _ => typeCode.ToString(),
    });

    public SignatureType GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
    {
        var (ns, name) = TypeNames.Of(reader, handle);
        return new SignatureType(ns, name, Short(name), false);
    }

    public SignatureType GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
    {
        var (ns, name) = TypeNames.Of(reader, handle);
        return new SignatureType(ns, name, Short(name), false);
    }

    // The decoder only reaches this for custom modifiers (modreq/modopt), the one place a signature
    // may name a TypeSpec, and modifiers are dropped by GetModifiedType anyway. Not decoding them
    // also means a TypeSpec that names itself, or a fan-out of modifiers naming modifiers, costs nothing.
    public SignatureType GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        SignatureType.Unnamed("modifier");

    public SignatureType GetSZArrayType(SignatureType elementType) => Wrap(elementType, elementType.Display + "[]");

    public SignatureType GetArrayType(SignatureType elementType, ArrayShape shape) =>
        Wrap(elementType, elementType.Display + "[" + new string(',', Math.Max(0, shape.Rank - 1)) + "]");

    public SignatureType GetByReferenceType(SignatureType elementType) => Wrap(elementType, "ref " + elementType.Display);

    public SignatureType GetPointerType(SignatureType elementType) => Wrap(elementType, elementType.Display + "*");

    public SignatureType GetPinnedType(SignatureType elementType) => elementType;

    public SignatureType GetModifiedType(SignatureType modifier, SignatureType unmodifiedType, bool isRequired) => unmodifiedType;

    public SignatureType GetGenericInstantiation(SignatureType genericType, ImmutableArray<SignatureType> typeArguments)
    {
        var display = StripArity(genericType.Display) + "<" + string.Join(", ", typeArguments.Select(a => a.Display)) + ">";
        return genericType with
        {
            Display = display,
            HasUnmanagedFunctionPointer = genericType.HasUnmanagedFunctionPointer || typeArguments.Any(a => a.HasUnmanagedFunctionPointer),
        };
    }

    public SignatureType GetGenericTypeParameter(object? genericContext, int index) => SignatureType.Unnamed("!" + index);

    public SignatureType GetGenericMethodParameter(object? genericContext, int index) => SignatureType.Unnamed("!!" + index);

    public SignatureType GetFunctionPointerType(MethodSignature<SignatureType> signature)
    {
        var convention = signature.Header.CallingConvention;
        var unmanaged = convention is not (SignatureCallingConvention.Default or SignatureCallingConvention.VarArgs);
        var contains = unmanaged || signature.ReturnType.HasUnmanagedFunctionPointer
            || signature.ParameterTypes.Any(p => p.HasUnmanagedFunctionPointer);
        var display = $"delegate* {(unmanaged ? "unmanaged" : "managed")}<{string.Join(", ", signature.ParameterTypes.Select(p => p.Display).Append(signature.ReturnType.Display))}>";
        return SignatureType.Unnamed(display, contains);
    }

    /// <summary>True when the method signature mentions an unmanaged function pointer type.</summary>
    public static bool HasUnmanagedFunctionPointer(MethodSignature<SignatureType> signature) =>
        signature.ReturnType.HasUnmanagedFunctionPointer || signature.ParameterTypes.Any(p => p.HasUnmanagedFunctionPointer);

    /// <summary>"(int, string)" for a decoded method signature.</summary>
    public static string Parameters(MethodSignature<SignatureType> signature) =>
        "(" + string.Join(", ", signature.ParameterTypes.Select(p => p.Display)) + ")";

    private static SignatureType Wrap(SignatureType element, string display) =>
        SignatureType.Unnamed(display, element.HasUnmanagedFunctionPointer);

    private static string Short(string name)
    {
        var nested = name.LastIndexOf('+');
        return StripArity(nested >= 0 ? name[(nested + 1)..] : name);
    }

    private static string StripArity(string name)
    {
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }
}

/// <summary>Namespace and nesting-qualified name ("Outer+Inner") of type handles.</summary>
internal static class TypeNames
{
    // Malformed metadata can nest a type in itself; real nesting is a few levels deep.
    private const int MaxNesting = 32;

    public static (string Namespace, string Name) Of(MetadataReader reader, TypeReferenceHandle handle, int depth = 0)
    {
        Nesting(depth);
        var reference = reader.GetTypeReference(handle);
        var name = reader.GetString(reference.Name);
        if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            var (outerNamespace, outerName) = Of(reader, (TypeReferenceHandle)reference.ResolutionScope, depth + 1);
            return (outerNamespace, outerName + "+" + name);
        }

        return (reader.GetString(reference.Namespace), name);
    }

    public static (string Namespace, string Name) Of(MetadataReader reader, TypeDefinitionHandle handle, int depth = 0)
    {
        Nesting(depth);
        var definition = reader.GetTypeDefinition(handle);
        var name = reader.GetString(definition.Name);
        var declaring = definition.GetDeclaringType();
        if (!declaring.IsNil)
        {
            var (outerNamespace, outerName) = Of(reader, declaring, depth + 1);
            return (outerNamespace, outerName + "+" + name);
        }

        return (reader.GetString(definition.Namespace), name);
    }

    private static void Nesting(int depth)
    {
        if (depth > MaxNesting)
        {
            throw new BadImageFormatException("types are nested too deeply (or in themselves)");
        }
    }

    /// <summary>Namespace and name of a TypeDef, TypeRef or (generic-instance) TypeSpec; null for other specs.</summary>
    public static (string Namespace, string Name)? Of(MetadataReader reader, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.TypeReference => Of(reader, (TypeReferenceHandle)handle),
        HandleKind.TypeDefinition => Of(reader, (TypeDefinitionHandle)handle),
        HandleKind.TypeSpecification => FromSpecification(reader, (TypeSpecificationHandle)handle),
        _ => null,
    };

    public static string Full(string @namespace, string name) => @namespace.Length == 0 ? name : @namespace + "." + name;

    /// <summary>The C#-ish display of a type definition, e.g. "Acme.Tools.EvilTool" (arity and nesting kept readable).</summary>
    public static string Display(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var (ns, name) = Of(reader, handle);
        return Full(ns, name.Replace('+', '.'));
    }

    private static (string Namespace, string Name)? FromSpecification(MetadataReader reader, TypeSpecificationHandle handle)
    {
        var specification = reader.GetTypeSpecification(handle);
        SignatureGuard.CheckTypeSpecification(reader, specification.Signature);
        var decoded = specification.DecodeSignature(SignatureNames.Instance, null);
        return decoded is { Namespace: { } ns, Name: { } name } ? (ns, name) : null;
    }
}
