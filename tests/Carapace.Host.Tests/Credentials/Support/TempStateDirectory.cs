using Carapace.Storage;

namespace Carapace.Host.Tests.Credentials.Support;

/// <summary>A private state directory under the system temp dir, deleted on dispose.</summary>
internal sealed class TempStateDirectory : IDisposable
{
    public TempStateDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "carapace-cred-test-" + Guid.NewGuid().ToString("N"));
        State = new StateDirectory(Root);
        State.EnsureCreated();
    }

    public string Root { get; }

    public StateDirectory State { get; }

    public string CredentialsDir => State.CredentialsDir;

    public string Write(string relative, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
