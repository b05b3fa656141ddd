namespace Carapace.Sandbox.Running;

/// <summary>
/// Drains a child's pipe to EOF, keeping at most <c>cap</c> bytes. Draining never stops early, so a
/// chatty child never blocks on a full pipe; the result reports whether anything was dropped.
/// Optionally consumes the launcher's one-byte "confined" marker first.
/// </summary>
internal sealed class CappedOutput(Stream stream, int cap, byte? marker)
{
    private readonly MemoryStream _kept = new();
    private bool _markerPending = marker.HasValue;

    public long TotalBytes { get; private set; }
    public bool MarkerSeen { get; private set; }
    public bool Truncated => TotalBytes > cap;
    public ReadOnlyMemory<byte> Bytes => _kept.GetBuffer().AsMemory(0, (int)_kept.Length);

    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            if (n == 0)
            {
                return;
            }

            var offset = 0;
            if (_markerPending)
            {
                _markerPending = false;
                if (buffer[0] != marker)
                {
                    return; // not the launcher's marker: treat as unconfined, keep nothing
                }

                MarkerSeen = true;
                offset = 1;
            }

            var count = n - offset;
            TotalBytes += count;
            var room = cap - (int)_kept.Length;
            if (room > 0)
            {
                _kept.Write(buffer, offset, Math.Min(room, count));
            }
        }
    }
}
