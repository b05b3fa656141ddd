namespace Carapace.Host.Gateway;

/// <summary>The address Kestrel actually bound (known only after start; port 0 picks a free port).</summary>
internal sealed class GatewayEndpoint
{
    private volatile Uri? _url;

    public Uri? Url => _url;

    public string Display => _url is null ? "(not listening)" : $"{_url.Host}:{_url.Port}";

    internal void Set(Uri url) => _url = url;
}
