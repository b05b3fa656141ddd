using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Carapace.Storage.Yaml;

/// <summary>
/// Wraps YamlDotNet's parser for untrusted documents (<c>carapace.yaml</c>, <c>plugin.yaml</c>) and
/// refuses, as a <see cref="YamlException"/> with a position, what would take the process down later:
/// <list type="bullet">
/// <item>nesting deeper than <see cref="MaxDepth"/>: YamlDotNet builds its node tree recursively, so
/// 20 000 levels (<c>a: [[[[…</c>) overflowed the stack and killed the process (found by
/// tests/Carapace.Host.Tests/Fuzz/ConfigFuzzTests.cs). The parser itself is iterative, so counting depth on
/// its events refuses such input before any tree exists;</item>
/// <item>aliases (<c>*name</c>): an alias inside the node it names (<c>&amp;a [*a]</c>) makes the loaded tree a
/// cycle that every recursive walk follows forever, and a few nested aliases expand to billions of nodes
/// once a walker flattens the tree ("billion laughs"). Neither file format needs them.</item>
/// </list>
/// Without aliases the node count is bounded by the file size, which every caller caps.
/// </summary>
internal sealed class GuardedYamlParser(IParser inner, int maxDepth = GuardedYamlParser.DefaultMaxDepth) : IParser
{
    public const int DefaultMaxDepth = 64;

    private int _depth;

    public int MaxDepth { get; } = maxDepth;

    public ParsingEvent? Current => inner.Current;

    /// <summary>Where the last event parsed ended, for errors YamlDotNet reports without a position.</summary>
    public Mark LastGood { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        if (inner.Current is { } previous)
        {
            LastGood = previous.End;
        }

        if (!inner.MoveNext())
        {
            return false;
        }

        var current = inner.Current!;
        switch (current)
        {
            case MappingStart or SequenceStart when ++_depth > MaxDepth:
                throw new YamlException(current.Start, current.End, $"nesting deeper than {MaxDepth} levels");
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
            case AnchorAlias alias:
                throw new YamlException(current.Start, current.End, $"YAML aliases (*{alias.Value}) are not supported");
        }

        return true;
    }
}
