namespace Carapace.Plugins.Lock;

/// <summary>The content of <c>plugins-lock.yaml</c>: one entry per installed plugin id, sorted by id. Immutable.</summary>
internal sealed record PluginLock
{
    public const int CurrentVersion = 1;

    public static PluginLock Empty { get; } = new([]);

    public PluginLock(IEnumerable<PluginLockEntry> plugins)
    {
        var list = plugins.OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
        var duplicate = list.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"plugin '{duplicate.Key}' appears more than once");
        }

        Plugins = list;
    }

    public IReadOnlyList<PluginLockEntry> Plugins { get; }

    public PluginLockEntry? Find(string id) => Plugins.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.Ordinal));

    /// <summary>A lock with <paramref name="entry"/> added, replacing any entry with the same id.</summary>
    public PluginLock With(PluginLockEntry entry)
    {
        entry.Validate();
        return new PluginLock(Plugins.Where(p => p.Id != entry.Id).Append(entry));
    }

    /// <summary>A lock without the entry for <paramref name="id"/> (unchanged when absent).</summary>
    public PluginLock Without(string id) => new(Plugins.Where(p => p.Id != id));

    public bool Equals(PluginLock? other) => other is not null && Plugins.SequenceEqual(other.Plugins);

    public override int GetHashCode() => Plugins.Count;
}
