using System.Globalization;
using Carapace.Abstractions.Hosting;
using Microsoft.Extensions.Configuration;

namespace Carapace.Tools.HttpFetch;

/// <summary>
/// The plugin's own settings (<c>plugins:http-fetch</c>). The URL grants under <c>grants:http</c> belong to
/// the host, which enforces them in <c>IPluginContext.Http</c>; the plugin never reads them.
/// </summary>
internal sealed class FetchOptions(IPluginContext context)
{
    /// <summary>The host refuses larger responses outright (<c>network.maxResponseBytes</c>, 10 MiB).</summary>
    public const int HostResponseCap = 10 * 1024 * 1024;

    public const int DefaultMaxBodyBytes = 1024 * 1024;

    public const string DefaultUserAgent = "Carapace-http_fetch/1.0";

    /// <summary>
    /// Body bytes returned to the caller; the rest is dropped and <c>truncated</c> is set. A tool result
    /// feeds a conversation, where megabytes of page source help no one.
    /// </summary>
    public int MaxBodyBytes { get; } =
        int.TryParse(context.Configuration["maxBodyBytes"], NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max > 0
            ? Math.Min(max, HostResponseCap)
            : DefaultMaxBodyBytes;

    /// <summary>Whether redirects are followed when a call does not say (the host's default: no).</summary>
    public bool FollowRedirects { get; } = bool.TryParse(context.Configuration["followRedirects"], out var follow) && follow;

    /// <summary>Sent unless the call sets its own; many servers refuse requests without one.</summary>
    public string UserAgent { get; } = context.Configuration["userAgent"] is { Length: > 0 } agent ? agent : DefaultUserAgent;
}
