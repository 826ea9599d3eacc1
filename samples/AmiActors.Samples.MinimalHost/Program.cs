using Akka.Hosting;
using AmiActors.Hosting;
using AmiActors.Samples.MinimalHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

var builder = Host.CreateApplicationBuilder(args);

// Serilog's minimum level also becomes akka.loglevel: set Serilog:MinimumLevel to Debug and Akka's debug logs show.
var level = builder.Configuration.GetValue("Serilog:MinimumLevel", LogEventLevel.Information);
builder.Services.AddSerilog(log => log.MinimumLevel.Is(level).WriteTo.Console());

// Binds the "Ami" section, registers IAmiClient, metrics and health checks, starts the actor system "pbx-worker".
builder.Services.AddAmiActors(builder.Configuration, "pbx-worker", (akka, sp) =>
    akka.WithActors((system, registry, resolver) =>
    {
        // resolver.Props<T>() builds the actor from the container: CallTracker gets IAmiClient in its constructor.
        var calls = system.ActorOf(resolver.Props<CallTracker>(), "calls");
        registry.Register<CallTracker>(calls);
    }));

builder.Services.AddHostedService<HangupLog>();   // an endless event stream, stopped with the host
builder.Services.AddHostedService<Dialer>();      // Ping, Command, typed Originates, a typed list

await builder.Build().RunAsync();
