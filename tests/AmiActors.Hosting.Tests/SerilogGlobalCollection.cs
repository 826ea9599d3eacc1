namespace AmiActors.Hosting.Tests;

/// <summary>
/// Tests that set or replace Serilog's process-wide <c>Log.Logger</c> (directly, or through <c>AddSerilog</c>) run one at a
/// time: Akka.Logger.Serilog writes to that global logger, so a parallel test would capture another test's events or none.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SerilogGlobalCollection
{
    public const string Name = "Serilog's global logger";
}
