using System.Text.Json.Serialization;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Linux;

/// <summary>Reads the launcher's structured failure line (the launcher itself writes it without a serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LaunchFailure))]
internal sealed partial class LaunchFailureJson : JsonSerializerContext;
