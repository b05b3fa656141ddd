using Carapace.Plugins.Lock;
using Carapace.Storage;

namespace Carapace.Plugins.Install;

/// <summary>
/// Where managed plugins live under <c>&lt;state&gt;/plugins</c>:
/// <code>
/// plugins-lock.yaml           what is installed (the commit point of every change)
/// &lt;id&gt;/&lt;version&gt;/          an installed copy
/// &lt;id&gt;/&lt;version&gt;~replaced/ the previous copy of the same version while it is being replaced
/// .staging/&lt;random&gt;/         packages being checked, and uploads
/// .uninstalled/&lt;id&gt;-&lt;version&gt;-&lt;time&gt;/  files kept by <c>uninstall --keep-files</c>
/// </code>
/// Everything else below the root that the lock does not name is debris of an interrupted change and
/// is removed at start (<see cref="InstallRecovery"/>). <c>~</c> is not a version character, so a
/// replaced copy can never be taken for a version.
/// </summary>
internal sealed class ManagedPluginLayout(string root)
{
    public const string StagingFolder = ".staging";
    public const string KeptFolder = ".uninstalled";
    public const string ReplacedSuffix = "~replaced";

    public string Root { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    public string Staging => Path.Combine(Root, StagingFolder);

    public string Kept => Path.Combine(Root, KeptFolder);

    public string LockPath => PluginLockFile.PathIn(Root);

    public string PluginDirectory(string id) => Path.Combine(Root, id);

    public string VersionDirectory(string id, string version) => Path.Combine(Root, id, version);

    public string ReplacedDirectory(string id, string version) => Path.Combine(Root, id, version + ReplacedSuffix);

    /// <summary>The directory a lock entry loads from: the linked directory, or the installed copy.</summary>
    public string DirectoryOf(PluginLockEntry entry) => entry.LinkedDirectory ?? VersionDirectory(entry.Id, entry.Version);

    /// <summary>A fresh path under <c>.staging</c> (not created), with the root and staging folder made 0700.</summary>
    public string NewStagingPath(string suffix = "")
    {
        OwnerOnly.EnsureDirectory(Root);
        OwnerOnly.EnsureDirectory(Staging);
        return Path.Combine(Staging, Guid.NewGuid().ToString("N") + suffix);
    }

    /// <summary>Where <c>uninstall --keep-files</c> moves an installed copy (not created).</summary>
    public string KeptPath(string id, string version, DateTimeOffset at) =>
        Path.Combine(Kept, $"{id}-{version}-{at.UtcDateTime:yyyyMMddTHHmmssfffZ}");
}
