namespace Carapace.Plugins.Install;

/// <summary>
/// Named points of an install where a crash test kills the process (<see cref="Staged"/>,
/// <see cref="ReplacedAside"/>, <see cref="AfterMove"/>: the new
/// copy is in place but not committed; <see cref="AfterCommit"/>: the lock names it but the runtime has
/// not swapped yet). Production hosts use <see cref="NoInstallPauses"/>; the gateway honours a pause
/// only in a Debug build (docs/plugin-packages.md, "Crash safety").
/// </summary>
internal interface IInstallPausePoints
{
    Task ReachedAsync(string point, CancellationToken cancellationToken);
}

internal static class InstallPausePointNames
{
    /// <summary>The package is staged under <c>.staging</c>; nothing is verified or placed yet.</summary>
    public const string Staged = "staged";

    /// <summary>A same-version replacement moved the pinned copy to <c>&lt;version&gt;~replaced</c>; the new one is not placed.</summary>
    public const string ReplacedAside = "replaced-aside";

    public const string AfterMove = "after-move";
    public const string AfterCommit = "after-commit";
}

internal sealed class NoInstallPauses : IInstallPausePoints
{
    public Task ReachedAsync(string point, CancellationToken cancellationToken) => Task.CompletedTask;
}
