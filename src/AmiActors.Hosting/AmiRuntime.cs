using Akka.Actor;
using Akka.Configuration;
using Akka.DependencyInjection;

namespace AmiActors.Hosting;

/// <summary>The few points where hosting touches the runtime.</summary>
internal static class AmiRuntime
{
    /// <summary>The embedded reference.conf (the defaults).</summary>
    public static Config DefaultConfig => AmiSettings.DefaultConfig;

    /// <summary>Starts the manager actor from the system's configuration.</summary>
    public static AmiClient Start(ActorSystem system) => AmiClient.Start(system);

    /// <summary>A service from the host's container, or null when the system was not built with one or lacks it.</summary>
    public static T? TryGetService<T>(ActorSystem system) where T : class
    {
        try
        {
            return DependencyResolver.For(system).Resolver.GetService<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or ConfigurationException)
        {
            return null;
        }
    }
}
