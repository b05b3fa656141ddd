using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Carapace.Plugins.Loading;

/// <summary>Result of checking that an unloaded context was collected.</summary>
/// <param name="Collected">The context is gone.</param>
/// <param name="Milliseconds">Time spent in the GC loop.</param>
/// <param name="GcIterations">Collections it took (or the bound, when leaked).</param>
internal sealed record UnloadVerification(bool Collected, double Milliseconds, int GcIterations);

/// <summary>
/// Rule 10: <c>Unload()</c> only starts unloading. Verification drives full collections until the
/// context's weak reference dies or the bound is reached. It runs in its own non-async, non-inlined
/// frame so that no JIT-extended local or async state machine of the caller can keep the context alive.
/// </summary>
internal static class UnloadVerifier
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static UnloadVerification Verify(WeakReference context, int maxIterations)
    {
        var watch = Stopwatch.StartNew();
        var i = 0;
        while (context.IsAlive && i < maxIterations)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            i++;
            if (context.IsAlive && i >= 2)
            {
                // Unloading also waits for threads to leave plugin frames; give them a moment.
                Thread.Sleep(i);
            }
        }

        return new UnloadVerification(!context.IsAlive, watch.Elapsed.TotalMilliseconds, i);
    }
}
