namespace AmiActors.Actors;

/// <summary>Exponential backoff with jitter between connection attempts (ami.reconnect.min-backoff, max-backoff, random-factor).</summary>
internal sealed class ReconnectBackoff(AmiSettings settings)
{
    private readonly Random _random = new();

    /// <summary>The delay before attempt number <paramref name="attempt"/> (1 for the first retry).</summary>
    public TimeSpan For(int attempt)
    {
        double min = settings.MinBackoff.TotalMilliseconds;
        double max = settings.MaxBackoff.TotalMilliseconds;
        double exp = Math.Min(max, min * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        double jitter = 1 + _random.NextDouble() * settings.RandomFactor;
        return TimeSpan.FromMilliseconds(exp * jitter);
    }
}
