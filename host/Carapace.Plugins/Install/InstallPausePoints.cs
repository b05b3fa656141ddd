namespace Carapace.Plugins.Install;

/// <summary>
/// Named points of an install where a crash test kills the process (<see cref="AfterMove"/>: the new
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
    public const string AfterMove = "after-move";
    public const string AfterCommit = "after-commit";
}

internal sealed class NoInstallPauses : IInstallPausePoints
{
    public Task ReachedAsync(string point, CancellationToken cancellationToken) => Task.CompletedTask;
}
