namespace Carapace.Plugins.Services;

/// <summary>
/// Receives plugin lifecycle events (the host audits them). Called synchronously on the thread
/// that caused the event; it must be quick and must not throw.
/// </summary>
internal interface IPluginLifecycleObserver
{
    void OnEvent(PluginLifecycleEvent lifecycleEvent);
}

/// <summary>The default observer: events are only logged by the runtime itself.</summary>
internal sealed class NullPluginLifecycleObserver : IPluginLifecycleObserver
{
    public void OnEvent(PluginLifecycleEvent lifecycleEvent)
    {
    }
}
