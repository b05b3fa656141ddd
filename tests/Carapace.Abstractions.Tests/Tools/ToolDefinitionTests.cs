using Carapace.Abstractions.Tools;

namespace Carapace.Abstractions.Tests.Tools;

public sealed class ToolDefinitionTests
{
    [Theory]
    [InlineData("files_read")]
    [InlineData("a")]
    [InlineData("x0_9")]
    public void Valid_names_are_accepted(string name) =>
        Assert.Equal(name, ToolDefinition.Create(name, "d", "{\"type\":\"object\"}").Name);

    [Theory]
    [InlineData("")]
    [InlineData("Files")]
    [InlineData("files-read")]
    [InlineData("files read")]
    [InlineData("ä")]
    [InlineData("echo\n")]
    [InlineData("echo\r\n")]
    public void Invalid_names_are_rejected(string name) =>
        Assert.Throws<ArgumentException>(() => ToolDefinition.Create(name, "d", "{}"));

    [Fact]
    public void Name_longer_than_64_is_rejected()
    {
        Assert.True(ToolDefinition.IsValidName(new string('a', 64)));
        Assert.False(ToolDefinition.IsValidName(new string('a', 65)));
    }

    [Fact]
    public void Schema_is_detached_from_its_document()
    {
        var definition = ToolDefinition.Create("t", "d", "{\"type\":\"object\",\"required\":[\"path\"]}");

        Assert.Equal("object", definition.InputSchema.GetProperty("type").GetString());
    }
}
