using System.Text.Json;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec.Tests;

/// <summary>The hand-written failure line is JSON the broker's parser reads back exactly.</summary>
public sealed class FailureLineTests
{
    [Theory]
    [InlineData("landlock_add_rule", 2, "sandbox root '/nonexistent' does not exist")]
    [InlineData("read_spec", 0, "quote \" backslash \\ newline \n tab \t bell \u0007 nul \0 del \u007f ünï ☃ 😀")]
    [InlineData("", -1, "")]
    public void The_line_parses_back_to_the_same_failure(string step, int errno, string message)
    {
        var line = FailureLine.Format(step, errno, message);

        Assert.StartsWith(LauncherWire.FailurePrefix, line, StringComparison.Ordinal);
        Assert.EndsWith("}\n", line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // one line, whatever the message holds
        var json = line[LauncherWire.FailurePrefix.Length..^1];
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(step, doc.RootElement.GetProperty("step").GetString());
        Assert.Equal(errno, doc.RootElement.GetProperty("errno").GetInt32());
        Assert.Equal(message, doc.RootElement.GetProperty("message").GetString());
    }
}
