using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Abstractions.Tools;

namespace Carapace.Abstractions.Tests.Tools;

public sealed class ToolResultTests
{
    [Fact]
    public void Text_wraps_the_string()
    {
        var result = ToolResult.Text("hi");

        Assert.False(result.IsError);
        Assert.Equal("hi", result.Output.GetProperty("text").GetString());
    }

    [Fact]
    public void Json_node_is_copied()
    {
        var node = new JsonObject { ["n"] = 1 };
        var result = ToolResult.Json(node);
        node["n"] = 2;

        Assert.Equal(1, result.Output.GetProperty("n").GetInt32());
    }

    [Fact]
    public void Failure_carries_the_message_and_null_output()
    {
        var result = ToolResult.Failure("boom");

        Assert.True(result.IsError);
        Assert.Equal("boom", result.Error);
        Assert.Equal(JsonValueKind.Null, result.Output.ValueKind);
    }

    [Fact]
    public void Failure_can_carry_a_stable_code()
    {
        var refused = ToolResult.Failure("launcher missing", ToolErrorCodes.SandboxUnavailable);

        Assert.True(refused.IsError);
        Assert.Equal("launcher missing", refused.Error);
        Assert.Equal("sandbox_unavailable", refused.ErrorCode);
        Assert.Null(ToolResult.Failure("boom").ErrorCode);
        Assert.Null(ToolResult.Text("ok").ErrorCode);
    }

    [Fact]
    public void Tool_call_reads_typed_arguments()
    {
        using var doc = JsonDocument.Parse("{\"s\":\"v\",\"n\":5,\"b\":true}");
        var call = new ToolCall("t", doc.RootElement, "c1", "control");

        Assert.Equal("v", call.GetString("s"));
        Assert.Equal(5, call.GetInt64("n"));
        Assert.True(call.GetBoolean("b"));
        Assert.Null(call.GetString("n"));
        Assert.Null(call.GetInt64("missing"));
    }
}
