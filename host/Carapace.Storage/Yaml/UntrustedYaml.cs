using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Carapace.Storage.Yaml;

/// <summary>
/// Loads a YAML text whose author is not trusted into YamlDotNet's node tree, through
/// <see cref="GuardedYamlParser"/>. Every failure is a <see cref="YamlException"/> with a position:
/// YamlDotNet also throws <see cref="ArgumentException"/> (an invalid tag), <see cref="InvalidOperationException"/>
/// (some malformed event sequences) and others for bad input (found by the config and manifest fuzz tests);
/// they are reported at the end of the last event that parsed.
/// </summary>
internal static class UntrustedYaml
{
    public static YamlStream Load(string yaml, int maxDepth = GuardedYamlParser.DefaultMaxDepth)
    {
        var parser = new GuardedYamlParser(new Parser(new StringReader(yaml)), maxDepth);
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException
                                       or KeyNotFoundException)
        {
            throw new YamlException(parser.LastGood, parser.LastGood, $"malformed YAML after this point: {Reason(ex)}", ex);
        }

        return stream;
    }

    /// <summary>The reason YamlDotNet gave, without its parameter-name suffix.</summary>
    private static string Reason(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : ex.Message;
}
