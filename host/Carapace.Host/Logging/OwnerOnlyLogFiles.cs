using System.Text;
using Carapace.Storage;
using Serilog.Sinks.File;

namespace Carapace.Host.Logging;

/// <summary>
/// Log files can name remote IPs, paths and plugin errors; the File sink creates them with the
/// process umask, so tighten each one to 0600 as it is opened.
/// </summary>
internal sealed class OwnerOnlyLogFiles : FileLifecycleHooks
{
    public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
    {
        OwnerOnly.TightenFile(path);
        return underlyingStream;
    }
}
