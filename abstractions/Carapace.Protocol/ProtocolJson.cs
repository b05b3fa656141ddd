using System.Text.Json;
using System.Text.Json.Serialization;
using Carapace.Protocol.Health;
using Carapace.Protocol.Logs;
using Carapace.Protocol.Status;

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
public sealed partial class ProtocolJson : JsonSerializerContext;
