using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using AmiActors.Protocol;
using static AmiActors.Cluster.AmiClusterProtocol;

namespace AmiActors.Cluster;

/// <summary>
/// Binary serializer for every AmiActors message that crosses nodes. An event is its server id and its frame bytes as the
/// server sent them (the typed subclass is recreated from the event name on the receiving node); other messages are
/// length-prefixed fields. Messages that carry a secret (<see cref="AmiManager.AddServer"/>) are deliberately not
/// supported: with strict serialization they cannot leave the node.
/// </summary>
public sealed class AmiClusterSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id (Akka reserves 0-40).</summary>
    public const int SerializerId = 7813;

    private const string EventManifest = "E";
    private const string EventBatchManifest = "EB";
    private const string SendActionManifest = "A";
    private const string ResultManifest = "R";
    private const string EntitySendManifest = "ES";
    private const string EntityRepliedManifest = "ER";
    private const string EntityFailedManifest = "EF";
    private const string StateChangedManifest = "SC";
    private const string ServerStateManifest = "ST";
    private const string GetServerStateManifest = "GT";
    private const string ServerManifest = "D";
    private const string HandOffManifest = "H";
    private const string SubscribeManifest = "Su";
    private const string UnsubscribeManifest = "Un";
    private const string SubscribedManifest = "Sd";
    private const string UnsubscribedManifest = "Ud";
    private const string SubscribeStateManifest = "SS";
    private const string RemoveServerManifest = "RS";
    private const string ServerRemovedManifest = "RD";
    private const string ServerAddedManifest = "AD";
    private const string GetServersManifest = "G";
    private const string GetServersResultManifest = "GR";

    private static readonly AmiParserOptions BodyParser = new() { ExpectBanner = false, MaxFrameSize = int.MaxValue / 2 };

    /// <summary>Created by Akka from configuration.</summary>
    public AmiClusterSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        AmiEventReceived => EventManifest,
        EventBatch => EventBatchManifest,
        AmiManager.SendAction => SendActionManifest,
        AmiActionResult => ResultManifest,
        EntitySend => EntitySendManifest,
        EntityReplied => EntityRepliedManifest,
        EntityFailed => EntityFailedManifest,
        ConnectionStateChanged => StateChangedManifest,
        ServerState => ServerStateManifest,
        GetServerState => GetServerStateManifest,
        AmiClusterServer => ServerManifest,
        HandOff => HandOffManifest,
        AmiManager.Subscribe => SubscribeManifest,
        AmiManager.Unsubscribe => UnsubscribeManifest,
        AmiManager.Subscribed => SubscribedManifest,
        AmiManager.Unsubscribed => UnsubscribedManifest,
        AmiManager.SubscribeConnectionState => SubscribeStateManifest,
        AmiManager.RemoveServer => RemoveServerManifest,
        AmiManager.ServerRemoved => ServerRemovedManifest,
        AmiManager.ServerAdded => ServerAddedManifest,
        AmiManager.GetServers => GetServersManifest,
        AmiManager.GetServersResult => GetServersResultManifest,
        _ => throw Unsupported(o),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        using var ms = new MemoryStream(obj switch
        {
            AmiEventReceived e => e.Event.ByteSize + e.ServerId.Length + 16,
            EventBatch b => b.Events.Sum(e => e.Event.ByteSize + 8) + b.ServerId.Length + 8,
            _ => 128,
        });
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            Write(w, obj);
        }
        return ms.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        return manifest switch
        {
            EventManifest => AmiEventReceived.Create(r.ReadString(), ReadMessage(r)),
            EventBatchManifest => ReadBatch(r),
            SendActionManifest => ReadSendAction(r),
            ResultManifest => ReadResult(r),
            EntitySendManifest => new EntitySend(r.ReadInt64(), ReadSendAction(r)),
            EntityRepliedManifest => new EntityReplied(r.ReadInt64(), ReadResult(r)),
            EntityFailedManifest => new EntityFailed(r.ReadInt64(), ReadFailure(r)),
            StateChangedManifest => new ConnectionStateChanged(r.ReadString(), (AmiConnectionState)r.ReadByte(), (AmiConnectionState)r.ReadByte(), ReadNullable(r)),
            ServerStateManifest => new ServerState(r.ReadString(), (AmiConnectionState)r.ReadByte(), (AmiConnectionState)r.ReadByte(), ReadNullable(r),
                r.ReadString(), ReadNullable(r), r.ReadInt64()),
            GetServerStateManifest => new GetServerState(r.ReadString()),
            ServerManifest => ReadServer(r),
            HandOffManifest => HandOff.Instance,
            SubscribeManifest => new AmiManager.Subscribe(ReadRef(r), ReadNullable(r), ReadNames(r)),
            UnsubscribeManifest => new AmiManager.Unsubscribe(ReadRef(r), ReadNullable(r), ReadNames(r)),
            SubscribedManifest => new AmiManager.Subscribed(ReadRef(r)),
            UnsubscribedManifest => new AmiManager.Unsubscribed(ReadRef(r)),
            SubscribeStateManifest => new AmiManager.SubscribeConnectionState(ReadRef(r), ReadNullable(r)),
            RemoveServerManifest => new AmiManager.RemoveServer(r.ReadString()),
            ServerRemovedManifest => new AmiManager.ServerRemoved(r.ReadString()),
            ServerAddedManifest => new AmiManager.ServerAdded(r.ReadString()),
            GetServersManifest => AmiManager.GetServers.Instance,
            GetServersResultManifest => ReadServers(r),
            _ => throw new SerializationException($"AmiClusterSerializer: unknown manifest '{manifest}'."),
        };
    }

    private void Write(BinaryWriter w, object obj)
    {
        switch (obj)
        {
            case AmiEventReceived e:
                w.Write(e.ServerId);
                WriteMessage(w, e.Event);
                break;
            case EventBatch batch:
                w.Write(batch.ServerId);
                w.Write(batch.Events.Count);
                foreach (var e in batch.Events)
                {
                    if (!string.Equals(e.ServerId, batch.ServerId, StringComparison.Ordinal))
                    {
                        throw new SerializationException("AmiClusterSerializer: an event batch mixes servers.");
                    }
                    WriteMessage(w, e.Event);
                }
                break;
            case AmiManager.SendAction s:
                WriteSendAction(w, s);
                break;
            case AmiActionResult result:
                WriteResult(w, result);
                break;
            case EntitySend es:
                w.Write(es.RequestId);
                WriteSendAction(w, es.Send);
                break;
            case EntityReplied er:
                w.Write(er.RequestId);
                WriteResult(w, er.Result);
                break;
            case EntityFailed ef:
                w.Write(ef.RequestId);
                w.Write((byte)ef.Failure.Kind);
                w.Write(ef.Failure.ServerId);
                w.Write(ef.Failure.Message);
                WriteNames(w, ef.Failure.Fields);
                break;
            case ConnectionStateChanged c:
                w.Write(c.ServerId);
                w.Write((byte)c.Previous);
                w.Write((byte)c.Current);
                WriteNullable(w, c.Reason);
                break;
            case ServerState st:
                w.Write(st.ServerId);
                w.Write((byte)st.Previous);
                w.Write((byte)st.Current);
                WriteNullable(w, st.Reason);
                w.Write(st.Node);
                WriteNullable(w, st.AmiVersion);
                w.Write(st.EventsDropped);
                break;
            case GetServerState g:
                w.Write(g.ServerId);
                break;
            case AmiClusterServer d:
                WriteServer(w, d);
                break;
            case HandOff:
                break;
            case AmiManager.Subscribe sub:
                WriteRef(w, sub.Subscriber);
                WriteNullable(w, sub.ServerId);
                WriteNames(w, sub.EventNames);
                break;
            case AmiManager.Unsubscribe unsub:
                WriteRef(w, unsub.Subscriber);
                WriteNullable(w, unsub.ServerId);
                WriteNames(w, unsub.EventNames);
                break;
            case AmiManager.Subscribed sd:
                WriteRef(w, sd.Subscriber);
                break;
            case AmiManager.Unsubscribed ud:
                WriteRef(w, ud.Subscriber);
                break;
            case AmiManager.SubscribeConnectionState ss:
                WriteRef(w, ss.Subscriber);
                WriteNullable(w, ss.ServerId);
                break;
            case AmiManager.RemoveServer rs:
                w.Write(rs.ServerId);
                break;
            case AmiManager.ServerRemoved rd:
                w.Write(rd.ServerId);
                break;
            case AmiManager.ServerAdded ad:
                w.Write(ad.ServerId);
                break;
            case AmiManager.GetServers:
                break;
            case AmiManager.GetServersResult gr:
                w.Write(gr.Servers.Count);
                foreach (var s in gr.Servers)
                {
                    w.Write(s.ServerId);
                    w.Write((byte)s.State);
                    WriteNullable(w, s.AmiVersion);
                    w.Write(s.EventsDropped);
                    WriteNullable(w, s.Node);
                }
                break;
            default:
                throw Unsupported(obj);
        }
    }

    private static SerializationException Unsupported(object o) =>
        new($"AmiClusterSerializer cannot serialize {o.GetType().FullName}" +
            (o is AmiManager.AddServer ? ": AddServer carries a secret and never leaves its node (use IAmiClient.AddServerAsync, which replicates a reference)." : "."));

    // Frame bytes as the server sent them; a legacy Command body needs the stream parser to be read back.
    private static void WriteMessage(BinaryWriter w, AmiMessage m)
    {
        w.Write(m.HasLegacyBody);
        var bytes = m.ToWireBytes();
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static AmiMessage ReadMessage(BinaryReader r)
    {
        bool body = r.ReadBoolean();
        var bytes = r.ReadBytes(r.ReadInt32());
        if (!body)
        {
            return AmiMessage.FromFrame(bytes);
        }
        var decoded = AmiStreamDecoder.Decode(bytes, BodyParser);
        return decoded.Count == 1 ? decoded[0] : throw new SerializationException($"AmiClusterSerializer: a frame with a command body decoded into {decoded.Count} messages.");
    }

    private static EventBatch ReadBatch(BinaryReader r)
    {
        string serverId = r.ReadString();
        int count = r.ReadInt32();
        var events = new AmiEventReceived[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = AmiEventReceived.Create(serverId, ReadMessage(r));
        }
        return new EventBatch(serverId, events);
    }

    private static void WriteSendAction(BinaryWriter w, AmiManager.SendAction s)
    {
        w.Write(s.ServerId);
        w.Write(s.Action.Name);
        w.Write(s.Action.Headers.Count);
        foreach (var h in s.Action.Headers)
        {
            w.Write(h.Name);
            w.Write(h.Value);
        }
        WriteNullable(w, s.Timeout);
    }

    private static AmiManager.SendAction ReadSendAction(BinaryReader r)
    {
        string serverId = r.ReadString();
        string name = r.ReadString();
        int count = r.ReadInt32();
        var headers = new AmiHeader[count];
        for (int i = 0; i < count; i++)
        {
            headers[i] = new AmiHeader(r.ReadString(), r.ReadString());
        }
        return new AmiManager.SendAction(serverId, new AmiAction(name, headers), ReadNullableTime(r));
    }

    private static void WriteResult(BinaryWriter w, AmiActionResult result)
    {
        w.Write(result.ServerId);
        w.Write(result.ActionId);
        WriteMessage(w, result.Response);
        w.Write(result.Events.Count);
        foreach (var e in result.Events)
        {
            WriteMessage(w, e);
        }
        w.Write(result.Complete is not null);
        if (result.Complete is not null)
        {
            WriteMessage(w, result.Complete);
        }
    }

    private static AmiActionResult ReadResult(BinaryReader r)
    {
        string serverId = r.ReadString();
        string actionId = r.ReadString();
        var response = ReadMessage(r);
        int count = r.ReadInt32();
        var events = new AmiMessage[count];
        for (int i = 0; i < count; i++)
        {
            events[i] = ReadMessage(r);
        }
        var complete = r.ReadBoolean() ? ReadMessage(r) : null;
        return new AmiActionResult(serverId, actionId, response, events, complete);
    }

    private static ActionFailure ReadFailure(BinaryReader r)
    {
        var kind = (FailureKind)r.ReadByte();
        string serverId = r.ReadString();
        string message = r.ReadString();
        return new ActionFailure(kind, serverId, message, ReadNames(r) ?? []);
    }

    private static void WriteServer(BinaryWriter w, AmiClusterServer d)
    {
        w.Write(d.Id);
        w.Write(d.Host);
        w.Write(d.Port);
        w.Write(d.Username);
        w.Write(d.SecretRef);
        w.Write((byte)d.AuthType);
        w.Write(d.UseTls);
        w.Write(d.AcceptInvalidCertificate);
        WriteNullable(w, d.TlsServerName);
        WriteNullable(w, d.EventMask);
        WriteNullable(w, d.ConnectTimeout);
        WriteNullable(w, d.LoginTimeout);
        WriteNullable(w, d.ActionTimeout);
    }

    private static AmiClusterServer ReadServer(BinaryReader r) =>
        new(r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString(), r.ReadString())
        {
            AuthType = (AmiAuthType)r.ReadByte(),
            UseTls = r.ReadBoolean(),
            AcceptInvalidCertificate = r.ReadBoolean(),
            TlsServerName = ReadNullable(r),
            EventMask = ReadNullable(r),
            ConnectTimeout = ReadNullableTime(r),
            LoginTimeout = ReadNullableTime(r),
            ActionTimeout = ReadNullableTime(r),
        };

    private static AmiManager.GetServersResult ReadServers(BinaryReader r)
    {
        int count = r.ReadInt32();
        var list = new AmiServerStatus[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = new AmiServerStatus(r.ReadString(), (AmiConnectionState)r.ReadByte(), ReadNullable(r), r.ReadInt64()) { Node = ReadNullable(r) };
        }
        return new AmiManager.GetServersResult(list);
    }

    private static void WriteRef(BinaryWriter w, IActorRef actor) => w.Write(Serialization.SerializedActorPath(actor));

    private IActorRef ReadRef(BinaryReader r) => system.Provider.ResolveActorRef(r.ReadString());

    private static void WriteNames(BinaryWriter w, IReadOnlyList<string>? names)
    {
        w.Write(names?.Count ?? -1);
        if (names is not null)
        {
            foreach (var n in names)
            {
                w.Write(n);
            }
        }
    }

    private static IReadOnlyList<string>? ReadNames(BinaryReader r)
    {
        int count = r.ReadInt32();
        if (count < 0)
        {
            return null;
        }
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = r.ReadString();
        }
        return names;
    }

    private static void WriteNullable(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static string? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteNullable(BinaryWriter w, TimeSpan? value)
    {
        w.Write(value.HasValue);
        if (value.HasValue)
        {
            w.Write(value.Value.Ticks);
        }
    }

    private static TimeSpan? ReadNullableTime(BinaryReader r) => r.ReadBoolean() ? TimeSpan.FromTicks(r.ReadInt64()) : null;
}
