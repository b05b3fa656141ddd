namespace Carapace.Testing;

/// <summary>Finds the repository root (the folder holding Carapace.sln) from the test's output folder.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Carapace.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Carapace.sln not found above " + AppContext.BaseDirectory);
    }
}
