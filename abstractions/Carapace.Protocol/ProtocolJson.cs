using System.Text.Json;
using System.Text.Json.Serialization;
using Carapace.Protocol.Channels;
using Carapace.Protocol.Health;
using Carapace.Protocol.Logs;
using Carapace.Protocol.Plugins;
using Carapace.Protocol.Status;
using Carapace.Protocol.Tools;

namespace Carapace.Protocol;

/// <summary>
/// Source-generated JSON metadata for every control-API DTO, shared by the host and `cara`, so both
/// sides agree on names (camelCase) and neither pays for reflection.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(LogsResponse))]
[JsonSerializable(typeof(PluginsResponse))]
[JsonSerializable(typeof(PluginSummary))]
[JsonSerializable(typeof(PluginOperationResponse))]
[JsonSerializable(typeof(PluginInstallRequest))]
[JsonSerializable(typeof(PluginInstallResponse))]
[JsonSerializable(typeof(PluginUninstallResponse))]
[JsonSerializable(typeof(PluginDoctorResponse))]
[JsonSerializable(typeof(ToolsResponse))]
[JsonSerializable(typeof(ToolInvokeResponse))]
[JsonSerializable(typeof(ChannelsResponse))]
[JsonSerializable(typeof(ChannelSendRequest))]
[JsonSerializable(typeof(ChannelSendResponse))]
public sealed partial class ProtocolJson : JsonSerializerContext;
