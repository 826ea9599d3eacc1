using AmiActors.Protocol;

namespace AmiActors.Actors;

/// <summary>
/// The login of one session: a plain Login, or Challenge then Login with the MD5 key. Knows the ActionIDs it used, so the
/// connection actor can hand it every reply that is not an action's.
/// </summary>
internal sealed class LoginHandshake(AmiServerDefinition server)
{
    public enum Result
    {
        /// <summary>The reply is not part of the handshake.</summary>
        NotMine,

        /// <summary>The challenge was answered; the Login is on its way.</summary>
        Continuing,

        /// <summary>The server accepted the login.</summary>
        LoggedIn,

        /// <summary>The server refused the login or the challenge; see <see cref="Rejection"/>.</summary>
        Rejected,
    }

    private string _idPrefix = "";
    private string? _challengeId;
    private string? _loginId;

    /// <summary>The server's words when the last reply was <see cref="Result.Rejected"/> (null when it gave none).</summary>
    public string? Rejection { get; private set; }

    /// <summary>Forgets the last session's handshake.</summary>
    public void Reset() => _challengeId = _loginId = null;

    /// <summary>Sends the first action of the handshake (Challenge for MD5, else Login), tagged with this session's prefix.</summary>
    public void Start(string idPrefix, ConnectionOutbound outbound)
    {
        _idPrefix = idPrefix;
        if (server.AuthType == AmiAuthType.Md5)
        {
            _challengeId = idPrefix + "c";
            outbound.Write(new AmiAction("Challenge", ("AuthType", "MD5")), _challengeId);
        }
        else
        {
            SendLogin(key: null, outbound);
        }
    }

    public Result OnReply(string actionId, AmiMessage reply, ConnectionOutbound outbound)
    {
        if (actionId == _loginId)
        {
            if (reply.IsSuccess)
            {
                _loginId = null;
                return Result.LoggedIn;
            }
            Rejection = reply.ResponseMessage;
            return Result.Rejected;
        }
        if (actionId == _challengeId)
        {
            _challengeId = null;
            if (reply.IsSuccess && reply.Get("Challenge") is { } challenge)
            {
                SendLogin(AmiAuth.ComputeMd5Key(challenge, server.Secret), outbound);
                return Result.Continuing;
            }
            Rejection = $"MD5 challenge refused: {reply.ResponseMessage ?? "no message"}";
            return Result.Rejected;
        }
        return Result.NotMine;
    }

    private void SendLogin(string? key, ConnectionOutbound outbound)
    {
        var headers = new List<AmiHeader> { new("Username", server.Username) };
        if (key is null)
        {
            headers.Add(new AmiHeader("Secret", server.Secret));
        }
        else
        {
            headers.Add(new AmiHeader("AuthType", "MD5"));
            headers.Add(new AmiHeader("Key", key));
        }
        if (server.EventMask is { } mask)
        {
            headers.Add(new AmiHeader("Events", mask));
        }
        _loginId = _idPrefix + "l";
        outbound.Write(new AmiAction("Login", headers), _loginId);
    }
}
