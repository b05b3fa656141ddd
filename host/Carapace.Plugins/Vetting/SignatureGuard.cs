using System.Reflection.Metadata;

namespace Carapace.Plugins.Vetting;

/// <summary>
/// Refuses signature blobs that would make System.Reflection.Metadata's decoder overflow the stack.
/// </summary>
/// <remarks>
/// <c>SignatureDecoder</c> recurses on the native stack once per nested element (PTR, SZARRAY,
/// BYREF, GENERICINST, FNPTR, …) before any provider callback runs, and pre-sizes builders from
/// declared counts. A hostile assembly with a blob of 100 000 nested SZARRAYs therefore kills the
/// process with an uncatchable StackOverflowException, in the host, while being vetted. This walks
/// the ECMA-335 II.23.2 grammar iteratively (an explicit stack on the heap), measures the nesting and
/// checks every count against the bytes left, so the decoder only ever sees shallow, plausible blobs.
/// Real signatures nest a handful of levels.
/// </remarks>
internal static class SignatureGuard
{
    public const int MaxDepth = 64;

    /// <summary>Throws <see cref="BadImageFormatException"/> unless the method/field/local/property/method-spec signature is safe to decode.</summary>
    public static void CheckSignature(MetadataReader reader, BlobHandle blob) => Check(reader.GetBlobReader(blob), isTypeSpecification: false);

    /// <summary>Throws <see cref="BadImageFormatException"/> unless the TypeSpec blob is safe to decode.</summary>
    public static void CheckTypeSpecification(MetadataReader reader, BlobHandle blob) => Check(reader.GetBlobReader(blob), isTypeSpecification: true);

    private enum FrameKind
    {
        Types,
        ArrayElement,
    }

    private static void Check(BlobReader blob, bool isTypeSpecification)
    {
        var frames = new Stack<(FrameKind Kind, int Remaining)>();
        if (isTypeSpecification)
        {
            frames.Push((FrameKind.Types, 1));
        }
        else
        {
            PushHeader(ref blob, frames);
        }

        while (frames.Count > 0)
        {
            var (kind, remaining) = frames.Pop();
            if (remaining == 0)
            {
                if (kind == FrameKind.ArrayElement)
                {
                    SkipArrayShape(ref blob);
                }

                continue;
            }

            frames.Push((kind, remaining - 1));
            if (frames.Count > MaxDepth)
            {
                throw new BadImageFormatException($"a signature nests deeper than {MaxDepth} levels");
            }

            ReadType(ref blob, frames);
        }
    }

    private static void PushHeader(ref BlobReader blob, Stack<(FrameKind, int)> frames)
    {
        var header = blob.ReadSignatureHeader();
        switch (header.Kind)
        {
            case SignatureKind.Field:
                frames.Push((FrameKind.Types, 1));
                break;
            case SignatureKind.LocalVariables:
            case SignatureKind.MethodSpecification:
                frames.Push((FrameKind.Types, Count(ref blob)));
                break;
            case SignatureKind.Property:
                frames.Push((FrameKind.Types, Count(ref blob) + 1));
                break;
            case SignatureKind.Method:
                if (header.IsGeneric)
                {
                    Count(ref blob);
                }

                frames.Push((FrameKind.Types, Count(ref blob) + 1));
                break;
            default:
                throw new BadImageFormatException($"unexpected signature kind {header.Kind}");
        }
    }

    /// <summary>Reads one type: leaves are consumed, composite types push a frame for their parts.</summary>
    private static void ReadType(ref BlobReader blob, Stack<(FrameKind, int)> frames)
    {
        // Raw ELEMENT_TYPE_* bytes (ECMA-335 II.23.1.16).
        while (true)
        {
            var code = blob.ReadByte();
            switch (code)
            {
                case 0x1F or 0x20: // CMOD_REQD, CMOD_OPT
                    blob.ReadTypeHandle();
                    continue;
                case 0x41: // SENTINEL
                    continue;
                case 0x0F or 0x10 or 0x1D or 0x45: // PTR, BYREF, SZARRAY, PINNED
                    frames.Push((FrameKind.Types, 1));
                    return;
                case 0x14: // ARRAY: element type, then the shape
                    frames.Push((FrameKind.ArrayElement, 1));
                    return;
                case 0x15: // GENERICINST: CLASS|VALUETYPE, type, argument count, arguments
                    blob.ReadByte();
                    blob.ReadTypeHandle();
                    frames.Push((FrameKind.Types, Count(ref blob)));
                    return;
                case 0x1B: // FNPTR: a whole method signature
                    PushHeader(ref blob, frames);
                    return;
                case 0x11 or 0x12: // VALUETYPE, CLASS
                    blob.ReadTypeHandle();
                    return;
                case 0x13 or 0x1E: // VAR, MVAR
                    blob.ReadCompressedInteger();
                    return;
                case >= 0x01 and <= 0x0E: // VOID … STRING
                case 0x16 or 0x18 or 0x19 or 0x1C: // TYPEDBYREF, I, U, OBJECT
                    return;
                default:
                    throw new BadImageFormatException($"unexpected signature element type 0x{code:X2}");
            }
        }
    }

    private static void SkipArrayShape(ref BlobReader blob)
    {
        Count(ref blob);
        var sizes = Count(ref blob);
        for (var i = 0; i < sizes; i++)
        {
            blob.ReadCompressedInteger();
        }

        var lowerBounds = Count(ref blob);
        for (var i = 0; i < lowerBounds; i++)
        {
            blob.ReadCompressedSignedInteger();
        }
    }

    // Every counted item takes at least one byte, so a count beyond the bytes left is a lie that
    // would only make the decoder pre-allocate a huge builder.
    private static int Count(ref BlobReader blob)
    {
        var count = blob.ReadCompressedInteger();
        return count <= blob.RemainingBytes ? count : throw new BadImageFormatException("a signature count exceeds its blob");
    }
}
