namespace AmiActors.Hosting;

/// <summary>
/// The key under which <c>WithAmi</c> registers the manager actor (named <c>ami</c>) in Akka.Hosting's
/// <c>ActorRegistry</c>: <c>registry.Get&lt;AmiManagerKey&gt;()</c>, or inject <c>IRequiredActor&lt;AmiManagerKey&gt;</c>.
/// </summary>
public sealed class AmiManagerKey
{
    private AmiManagerKey()
    {
    }
}
