namespace AmiActors.Actors;

/// <summary>
/// Exponential backoff with jitter between connection attempts (ami.reconnect.min-backoff, max-backoff, random-factor).
/// Attempt n waits min-backoff × 2^(n−1), capped at max-backoff, times (1 + r × random-factor) for a random r in [0, 1);
/// where that would pass max-backoff, the jitter is taken below it instead (max-backoff × (1 − r × random-factor)), so no
/// delay ever exceeds max-backoff and delays at the cap still spread.
/// </summary>
internal sealed class ReconnectBackoff(AmiSettings settings, Random? random = null)
{
    private readonly Random _random = random ?? new Random();

    /// <summary>The delay before attempt number <paramref name="attempt"/> (1 for the first retry).</summary>
    public TimeSpan For(int attempt)
    {
        double min = settings.MinBackoff.TotalMilliseconds;
        double max = settings.MaxBackoff.TotalMilliseconds;
        double exp = Math.Min(max, min * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        double spread = _random.NextDouble() * settings.RandomFactor;
        double delay = exp * (1 + spread);
        if (delay > max)
        {
            delay = Math.Max(min, max * (1 - spread));
        }
        return TimeSpan.FromMilliseconds(delay);
    }
}
