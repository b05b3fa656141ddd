using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Tools.Files.Tests;

public sealed class FilesToolTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private RuntimeHarness _harness = null!;

    private string Root => _dir.Combine("root");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir.Combine("root", "docs"));
        Directory.CreateDirectory(_dir.Combine("outside"));
        Directory.CreateDirectory(_dir.Combine("root-evil"));
        File.WriteAllText(_dir.Combine("root", "docs", "readme.md"), "# inside\nneedle here\n");
        File.WriteAllText(_dir.Combine("root", "notes.txt"), "plain notes");
        File.WriteAllText(_dir.Combine("outside", "secret.txt"), "TOP SECRET");
        File.WriteAllText(_dir.Combine("root-evil", "secret.txt"), "TOP SECRET");
        File.CreateSymbolicLink(_dir.Combine("root", "escape-file"), _dir.Combine("outside", "secret.txt"));
        Directory.CreateSymbolicLink(_dir.Combine("root", "escape-dir"), _dir.Combine("outside"));
        Directory.CreateSymbolicLink(_dir.Combine("root", "docs-link"), _dir.Combine("root", "docs"));
        File.CreateSymbolicLink(_dir.Combine("root", "relative-escape"), "../outside/secret.txt");

        _harness = await RuntimeHarness.StartAsync(["files"], new Dictionary<string, string?> { ["plugins:files:roots:0"] = Root });
        Assert.Equal("active", _harness.Runtime.Get("files")!.State);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reads_lists_and_searches_inside_the_root()
    {
        var read = await Invoke("files_read", """{"path":"docs/readme.md"}""");
        Assert.Equal(ToolResultCodes.Ok, read.Code);
        Assert.Equal("# inside\nneedle here\n", read.Output!.Value.GetProperty("text").GetString());

        var viaInternalLink = await Invoke("files_read", """{"path":"docs-link/readme.md"}""");
        Assert.Equal(ToolResultCodes.Ok, viaInternalLink.Code);

        var list = await Invoke("files_list", """{"path":"."}""");
        Assert.Equal(ToolResultCodes.Ok, list.Code);
        var names = list.Output!.Value.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("docs", names);
        Assert.Contains("notes.txt", names);

        var search = await Invoke("files_search", """{"pattern":"*.md","contains":"needle"}""");
        Assert.Equal(ToolResultCodes.Ok, search.Code);
        var matches = search.Output!.Value.GetProperty("matches").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal([Path.Combine("docs", "readme.md")], matches);
    }

    [Theory]
    [InlineData("files_read", """{"path":"../outside/secret.txt"}""", "'..'")]
    [InlineData("files_read", """{"path":"docs/../../outside/secret.txt"}""", "'..'")]
    [InlineData("files_read", """{"path":"docs\\..\\..\\outside\\secret.txt"}""", "'..'")]
    [InlineData("files_read", """{"path":"/etc/passwd"}""", "outside the configured roots")]
    [InlineData("files_read", """{"path":"escape-file"}""", "symbolic link")]
    [InlineData("files_read", """{"path":"relative-escape"}""", "symbolic link")]
    [InlineData("files_read", """{"path":"escape-dir/secret.txt"}""", "symbolic link")]
    [InlineData("files_list", """{"path":"escape-dir"}""", "symbolic link")]
    [InlineData("files_list", """{"path":".."}""", "'..'")]
    [InlineData("files_search", """{"pattern":"*.txt","path":"escape-dir"}""", "symbolic link")]
    [InlineData("files_search", """{"pattern":"../*"}""", "pattern must be a file name glob")]
    public async Task Traversal_attempts_are_all_refused(string tool, string args, string reason)
    {
        var result = await Invoke(tool, args);

        Assert.Equal(ToolResultCodes.InvalidRequest, result.Code);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP SECRET", result.Output?.GetRawText() ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_paths_outside_the_roots_are_refused_even_with_a_common_prefix()
    {
        var sibling = _dir.Combine("root-evil", "secret.txt");
        var outside = _dir.Combine("outside", "secret.txt");

        foreach (var path in new[] { sibling, outside })
        {
            var result = await Invoke("files_read", $$"""{"path":{{System.Text.Json.JsonSerializer.Serialize(path)}}}""");
            Assert.Equal(ToolResultCodes.InvalidRequest, result.Code);
            Assert.Contains("outside the configured roots", result.Error, StringComparison.Ordinal);
        }

        var inside = await Invoke("files_read", $$"""{"path":{{System.Text.Json.JsonSerializer.Serialize(_dir.Combine("root", "notes.txt"))}}}""");
        Assert.Equal(ToolResultCodes.Ok, inside.Code);
    }

    [Fact]
    public async Task Search_does_not_walk_into_symlinked_directories()
    {
        var result = await Invoke("files_search", """{"pattern":"secret.txt"}""");

        Assert.Equal(ToolResultCodes.Ok, result.Code);
        Assert.Empty(result.Output!.Value.GetProperty("matches").EnumerateArray());
    }

    [Fact]
    public async Task Search_does_not_read_through_symlinked_files()
    {
        // escape-file and relative-escape are links to outside/secret.txt, the only files holding the text.
        var result = await Invoke("files_search", """{"pattern":"*","contains":"TOP SECRET"}""");

        Assert.Equal(ToolResultCodes.Ok, result.Code);
        Assert.Empty(result.Output!.Value.GetProperty("matches").EnumerateArray());
        var all = await Invoke("files_search", """{"pattern":"*escape*"}""");
        Assert.Empty(all.Output!.Value.GetProperty("matches").EnumerateArray());
    }

    [Theory]
    [InlineData("files_read", "escape-file")]
    [InlineData("files_read", "relative-escape")]
    [InlineData("files_read", "escape-dir/secret.txt")]
    [InlineData("files_list", "escape-dir")]
    [InlineData("files_search", "escape-dir")]
    public async Task Absolute_path_to_an_escaping_symlink_is_refused(string tool, string relative)
    {
        var absolute = System.Text.Json.JsonSerializer.Serialize(Path.Combine(Root, relative));
        var args = tool == "files_search" ? $$"""{"pattern":"*","path":{{absolute}}}""" : $$"""{"path":{{absolute}}}""";

        var result = await Invoke(tool, args);

        Assert.Equal(ToolResultCodes.InvalidRequest, result.Code);
        Assert.Contains("symbolic link", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP SECRET", result.Output?.GetRawText() ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_roots_are_each_reachable_by_absolute_path_and_stay_confined()
    {
        var second = _dir.Combine("second");
        Directory.CreateDirectory(Path.Combine(second, "sub"));
        File.WriteAllText(Path.Combine(second, "sub", "two.md"), "needle in the second root");
        File.CreateSymbolicLink(Path.Combine(second, "escape"), _dir.Combine("outside", "secret.txt"));
        await using var harness = await RuntimeHarness.StartAsync(["files"], new Dictionary<string, string?>
        {
            ["plugins:files:roots:0"] = Root,
            ["plugins:files:roots:1"] = second,
        });
        Task<ToolInvocationResult> Call(string tool, string args) => harness.Runtime.InvokeToolAsync(tool, JsonText.Parse(args));
        string Json(string path) => System.Text.Json.JsonSerializer.Serialize(path);

        var roots = await Call("files_list", "{}");
        Assert.Equal([Root, second], roots.Output!.Value.GetProperty("roots").EnumerateArray().Select(r => r.GetString()));

        // Relative paths resolve against the first root; the second is reached by absolute path.
        Assert.Equal(ToolResultCodes.InvalidRequest, (await Call("files_read", """{"path":"sub/two.md"}""")).Code);
        var read = await Call("files_read", $$"""{"path":{{Json(Path.Combine(second, "sub", "two.md"))}}}""");
        Assert.Equal(ToolResultCodes.Ok, read.Code);
        Assert.Equal("needle in the second root", read.Output!.Value.GetProperty("text").GetString());

        var search = await Call("files_search", $$"""{"pattern":"*.md","contains":"needle","path":{{Json(second)}}}""");
        Assert.Equal(ToolResultCodes.Ok, search.Code);
        Assert.Equal(second, search.Output!.Value.GetProperty("root").GetString());
        Assert.Equal([Path.Combine("sub", "two.md")], search.Output!.Value.GetProperty("matches").EnumerateArray().Select(m => m.GetString()));

        var escape = await Call("files_read", $$"""{"path":{{Json(Path.Combine(second, "escape"))}}}""");
        Assert.Equal(ToolResultCodes.InvalidRequest, escape.Code);
        Assert.Contains("symbolic link", escape.Error, StringComparison.Ordinal);
        var sibling = await Call("files_read", $$"""{"path":{{Json(_dir.Combine("root-evil", "secret.txt"))}}}""");
        Assert.Contains("outside the configured roots", sibling.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fifo_inside_a_root_is_refused_quickly_by_read_and_search_and_the_plugin_still_unloads()
    {
        // Opening a FIFO blocks until a writer comes, uncancellably: nothing ever writes to this one.
        var fifo = _dir.Combine("root", "pipe.txt");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var deadline = TimeSpan.FromSeconds(5);
        var read = await Invoke("files_read", """{"path":"pipe.txt"}""").WaitAsync(deadline);
        Assert.Equal(ToolResultCodes.InvalidRequest, read.Code);
        Assert.Contains("'pipe.txt' is empty or not a regular file", read.Error, StringComparison.Ordinal);

        var search = await Invoke("files_search", """{"pattern":"*.txt","contains":"plain"}""").WaitAsync(deadline);
        Assert.Equal(ToolResultCodes.Ok, search.Code);
        Assert.Equal(["notes.txt"], search.Output!.Value.GetProperty("matches").EnumerateArray().Select(m => m.GetString()));

        var disabled = await _harness.Runtime.DisableAsync("files");
        Assert.True(disabled.Succeeded, disabled.Message);
        var info = _harness.Runtime.Get("files")!;
        Assert.Equal("disabled", info.State);
        Assert.True(info.Unload!.Collected, "the files plugin should be collected: no thread is stuck in its code");
    }

    [Fact]
    public async Task Empty_file_is_not_opened_and_missing_roots_are_the_operators_matter()
    {
        File.WriteAllText(_dir.Combine("root", "empty.txt"), "");
        var empty = await Invoke("files_read", """{"path":"empty.txt"}""");
        Assert.Equal(ToolResultCodes.InvalidRequest, empty.Code);

        await using var unconfigured = await RuntimeHarness.StartAsync(["files"]);
        var noRoots = await unconfigured.Runtime.InvokeToolAsync("files_read", JsonText.Parse("""{"path":"x"}"""));
        Assert.Equal(ToolResultCodes.CapabilityDenied, noRoots.Code);
        Assert.Contains("no roots are configured", noRoots.Error, StringComparison.Ordinal);
    }

    private Task<ToolInvocationResult> Invoke(string tool, string args) => _harness.Runtime.InvokeToolAsync(tool, JsonText.Parse(args));
}
