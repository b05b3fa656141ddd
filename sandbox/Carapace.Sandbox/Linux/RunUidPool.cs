namespace Carapace.Sandbox.Linux;

/// <summary>Hands out per-run uids from a reserved range; a uid returns to the pool only after its sweep.</summary>
internal sealed class RunUidPool(uint baseUid, uint count)
{
    private readonly HashSet<uint> _inUse = [];
    private readonly Lock _lock = new();
    private uint _next;

    public uint Rent()
    {
        lock (_lock)
        {
            for (uint i = 0; i < count; i++)
            {
                var uid = baseUid + ((_next + i) % count);
                if (_inUse.Add(uid))
                {
                    _next = (_next + i + 1) % count;
                    return uid;
                }
            }
        }

        throw new Abstractions.Sandbox.SandboxUnavailableException("every per-run sandbox uid is in use");
    }

    public void Return(uint uid)
    {
        lock (_lock)
        {
            _inUse.Remove(uid);
        }
    }
}
