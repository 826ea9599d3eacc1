using Akka.Actor;
using Akka.Hosting;
using AmiActors;
using AmiActors.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AmiActors.Samples.Snippets;

/// <summary>Setting up without <c>AddAmiActors</c>: your own <c>AddAkka</c>, servers in code.</summary>
public static class Hosting
{
    public static void InCode(IServiceCollection services, string secret)
    {
        services.AddAmiClient();                                   // IAmiClient, metrics
        services.AddAkka("pbx-worker", (akka, sp) => akka
            .WithAmiLogging(sp)                                    // Akka's logs to ILogger, akka.loglevel from its minimum level
            .WithAmi("pbx1", "10.0.0.10", 5038, "amiuser", secret));
    }

    public static void WithOptions(AkkaConfigurationBuilder akka, string host, string user, string secret)
    {
        akka.WithAmi(o =>
        {
            o.AddServer("pbx1", host, 5038, user, secret, s => s.EventMask = "call,agent");
            o.ActionTimeout = TimeSpan.FromSeconds(15);
        });
    }

    public static async Task WithoutHosting(ActorSystem system, string secret)
    {
        var client = AmiClient.Start(system);                      // the servers of ami.servers in the system's HOCON
        await client.AddServerAsync(new AmiServerDefinition("pbx2", "10.0.0.11", 5038, "admin", secret) { AuthType = AmiAuthType.Md5 });
    }
}
