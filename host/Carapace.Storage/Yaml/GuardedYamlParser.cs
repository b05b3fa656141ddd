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
/// <item>an alias inside the node it names (<c>&amp;a [*a]</c>): the loaded tree would contain a cycle, and every
/// recursive walk over it would never end;</item>
/// <item>aliases that expand to more than <see cref="MaxNodes"/> nodes ("billion laughs"): the tree shares
/// the nodes, but every walker that flattens or converts it expands them.</item>
/// </list>
/// </summary>
internal sealed class GuardedYamlParser : IParser
{
    public const int DefaultMaxDepth = 64;

    private readonly IParser _inner;
    private readonly Stack<OpenNode> _open = new();
    private readonly Dictionary<string, long> _anchorSizes = new(StringComparer.Ordinal);
    private long _nodes;

    /// <param name="inner">The parser to guard.</param>
    /// <param name="maxNodes">Most nodes the document may hold once every alias is expanded.</param>
    /// <param name="maxDepth">Most nested mappings and sequences.</param>
    public GuardedYamlParser(IParser inner, long maxNodes, int maxDepth = DefaultMaxDepth)
    {
        _inner = inner;
        MaxNodes = maxNodes;
        MaxDepth = maxDepth;
    }

    public int MaxDepth { get; }

    public long MaxNodes { get; }

    public ParsingEvent? Current => _inner.Current;

    /// <summary>Where the last event parsed ended, for errors YamlDotNet reports without a position.</summary>
    public Mark LastGood { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        if (_inner.Current is { } previous)
        {
            LastGood = previous.End;
        }

        if (!_inner.MoveNext())
        {
            return false;
        }

        var current = _inner.Current!;
        switch (current)
        {
            case DocumentStart:
                // Anchors are scoped to their document.
                _anchorSizes.Clear();
                break;
            case MappingStart or SequenceStart:
                if (_open.Count >= MaxDepth)
                {
                    throw new YamlException(current.Start, current.End, $"nesting deeper than {MaxDepth} levels");
                }

                Count(current, 1);
                _open.Push(new OpenNode(Anchor(current), _nodes - 1));
                break;
            case MappingEnd or SequenceEnd when _open.TryPop(out var closed):
                if (closed.Anchor is { } anchor)
                {
                    _anchorSizes[anchor] = _nodes - closed.NodesBefore;
                }

                break;
            case Scalar scalar:
                Count(current, 1);
                if (!scalar.Anchor.IsEmpty)
                {
                    _anchorSizes[scalar.Anchor.Value] = 1;
                }

                break;
            case AnchorAlias alias:
                var name = alias.Value.Value;
                if (_open.Any(node => node.Anchor == name))
                {
                    throw new YamlException(current.Start, current.End, $"alias *{name} refers to a node that contains it");
                }

                // An unknown anchor is left to YamlDotNet, which reports it.
                Count(current, _anchorSizes.GetValueOrDefault(name, 1));
                break;
        }

        return true;
    }

    private void Count(ParsingEvent at, long nodes)
    {
        _nodes += nodes;
        if (_nodes > MaxNodes)
        {
            throw new YamlException(at.Start, at.End, $"the document expands to more than {MaxNodes} nodes (too many aliases)");
        }
    }

    private static string? Anchor(ParsingEvent node) =>
        node is NodeEvent { Anchor.IsEmpty: false } named ? named.Anchor.Value : null;

    private readonly record struct OpenNode(string? Anchor, long NodesBefore);
}
