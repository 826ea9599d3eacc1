using System.Security.Cryptography;
using System.Text;

namespace AmiActors.Protocol;

/// <summary>Helpers for AMI authentication.</summary>
public static class AmiAuth
{
    /// <summary>
    /// Computes the <c>Key</c> header of an MD5 challenge login: the lowercase hex MD5 digest of
    /// the challenge followed by the secret (both UTF-8).
    /// </summary>
    /// <param name="challenge">The <c>Challenge</c> value from the server's reply to <c>Action: Challenge</c>.</param>
    /// <param name="secret">The user's secret.</param>
    public static string ComputeMd5Key(string challenge, string secret)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(secret);
        int length = Encoding.UTF8.GetByteCount(challenge) + Encoding.UTF8.GetByteCount(secret);
        byte[]? rented = null;
        Span<byte> input = length <= 512 ? stackalloc byte[length] : (rented = new byte[length]);
        int written = Encoding.UTF8.GetBytes(challenge, input);
        Encoding.UTF8.GetBytes(secret, input[written..]);
        Span<byte> hash = stackalloc byte[16];
        MD5.HashData(input, hash);
        input.Clear();
        return Convert.ToHexStringLower(hash);
    }
}
