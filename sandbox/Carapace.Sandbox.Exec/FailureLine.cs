using System.Globalization;
using System.Text;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec;

/// <summary>
/// Formats the structured failure line (<see cref="LaunchFailure"/> as camelCase JSON) without
/// System.Text.Json: the launcher must not pay for a serializer's start-up on every spawn.
/// </summary>
internal static class FailureLine
{
    public static string Format(string step, int errno, string message)
    {
        var sb = new StringBuilder(LauncherWire.FailurePrefix.Length + message.Length + 64);
        sb.Append(LauncherWire.FailurePrefix).Append("{\"step\":");
        AppendJsonString(sb, step);
        sb.Append(",\"errno\":").Append(errno.ToString(CultureInfo.InvariantCulture)).Append(",\"message\":");
        AppendJsonString(sb, message);
        return sb.Append("}\n").ToString();
    }

    // RFC 8259 string escaping: quote, backslash and every control character; the rest passes as UTF-16
    // and is encoded to UTF-8 on write (lone surrogates become U+FFFD there, which stays valid JSON).
    private static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: sb.Append(c); break;
            }
        }

        sb.Append('"');
    }
}
