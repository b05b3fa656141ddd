using System.Text;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Windows;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.Windows;

/// <summary>
/// Stands in for the Win32 calls so the Windows backend's planning, refusals, grants and driving run on
/// Linux. Each started "process" prints what <see cref="Behave"/> says; the self-test probe is denied the
/// way cmd.exe reports it.
/// </summary>
internal sealed class FakeWindowsHost : IWindowsSandboxHost, IDisposable
{
    private readonly TempDirectory _system = SystemWithCmd();
    private readonly List<WindowsLaunch> _launches = [];
    private readonly List<(string Path, string Sid, bool Write)> _grants = [];

    public string? UnavailableReason { get; init; }

    /// <summary>A directory holding a (dummy) cmd.exe, so the self-test probe passes the executable check.</summary>
    public string SystemDirectory => _system.Path;

    public string? AppContainerFailure { get; init; }

    /// <summary>Exit code, stdout, and whether the process hangs until its job is terminated.</summary>
    public Func<WindowsLaunch, (int Exit, string Stdout, bool Hang)> Behave { get; init; } = _ => (0, "ran\n", false);

    public IReadOnlyList<WindowsLaunch> Launches
    {
        get
        {
            lock (_launches)
            {
                return [.. _launches];
            }
        }
    }

    public IReadOnlyList<(string Path, string Sid, bool Write)> Grants
    {
        get
        {
            lock (_grants)
            {
                return [.. _grants];
            }
        }
    }

    public List<FakeChild> Children { get; } = [];

    public AppContainerIdentity EnsureAppContainer(string name, string displayName, string description) =>
        AppContainerFailure is { } failure
            ? throw new SandboxUnavailableException(failure)
            : new AppContainerIdentity(name, "S-1-15-2-" + Math.Abs(name.GetHashCode(StringComparison.Ordinal)));

    public void GrantAccess(string path, AppContainerIdentity appContainer, bool write)
    {
        lock (_grants)
        {
            _grants.Add((path, appContainer.Sid, write));
        }
    }

    public IWindowsChild Start(WindowsLaunch launch)
    {
        lock (_launches)
        {
            _launches.Add(launch);
        }

        var selfTest = launch.CommandLine.Contains(" type ", StringComparison.Ordinal);
        var (exit, stdout, hang) = selfTest ? (1, string.Empty, false) : Behave(launch);
        var child = new FakeChild(4242 + Children.Count, exit, stdout, selfTest ? "Access is denied.\r\n" : string.Empty, hang);
        lock (Children)
        {
            Children.Add(child);
        }

        return child;
    }

    public void Dispose() => _system.Dispose();

    private static TempDirectory SystemWithCmd()
    {
        var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "cmd.exe"), "MZ");
        return dir;
    }

    internal sealed class FakeChild(int id, int exit, string stdout, string stderr, bool hang) : IWindowsChild
    {
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _exitCode = exit;

        public int Id { get; } = id;

        public Stream StandardInput { get; } = new MemoryStream();

        public Stream StandardOutput { get; } = new MemoryStream(Encoding.UTF8.GetBytes(stdout));

        public Stream StandardError { get; } = new MemoryStream(Encoding.UTF8.GetBytes(stderr));

        public int ExitCode => _exitCode;

        public int Terminations { get; private set; }

        public Task WaitForExitAsync(CancellationToken cancellationToken)
        {
            if (!hang)
            {
                _exited.TrySetResult();
            }

            return _exited.Task.WaitAsync(cancellationToken);
        }

        public void TerminateJob()
        {
            Terminations++;
            if (!_exited.Task.IsCompleted)
            {
                _exitCode = 137; // what the real host's TerminateJobObject hands a running process
            }

            _exited.TrySetResult();
        }

        public void Dispose()
        {
        }
    }
}
