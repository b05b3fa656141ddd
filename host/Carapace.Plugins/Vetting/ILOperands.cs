using System.Reflection;
using System.Reflection.Emit;

namespace Carapace.Plugins.Vetting;

/// <summary>
/// Operand layout of every IL opcode, taken from the runtime's own <see cref="OpCodes"/> table
/// (read once by reflection) rather than a hand-copied ECMA-335 table that could drift. This only
/// reads metadata about opcodes; nothing is emitted.
/// </summary>
internal static class ILOperands
{
    private static readonly OperandType?[] OneByte = new OperandType?[256];
    private static readonly OperandType?[] TwoByte = new OperandType?[256];

    static ILOperands()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            if (field.GetValue(null) is not OpCode opcode)
            {
                continue;
            }

            var value = (ushort)opcode.Value;
            if (opcode.Size == 1)
            {
                OneByte[value] = opcode.OperandType;
            }
            else if ((value >> 8) == 0xFE)
            {
                TwoByte[value & 0xFF] = opcode.OperandType;
            }
        }
    }

    /// <summary>The operand type of an opcode (0x00–0xFF, or 0xFE00|second byte), or null when undefined.</summary>
    public static OperandType? Of(int opcode) =>
        opcode <= 0xFF ? OneByte[opcode] : (opcode >> 8) == 0xFE ? TwoByte[opcode & 0xFF] : null;

    /// <summary>Bytes of a fixed-size operand (not InlineSwitch).</summary>
    public static int Size(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    /// <summary>True for operands that are metadata tokens of members or types.</summary>
    public static bool IsToken(OperandType type) =>
        type is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok;
}
