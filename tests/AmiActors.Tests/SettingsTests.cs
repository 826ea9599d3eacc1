using Akka.Configuration;

namespace AmiActors.Tests;

public class SettingsTests
{
    [Fact]
    public void The_embedded_reference_conf_gives_the_documented_defaults()
    {
        var s = AmiSettings.Default;
        Assert.Equal(TimeSpan.FromSeconds(10), s.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.HeartbeatInterval);
        Assert.Equal(4194304, s.MaxFrameSize);
        Assert.Equal(AmiReadBufferSharing.Auto, s.ShareReadBuffers);
        Assert.Equal(32768, s.ReadBufferSize);
        Assert.Equal(0, s.MaxAttempts);
        Assert.Equal(AmiDisconnectedPolicy.Buffer, s.WhenDisconnected);
        Assert.Equal(10000, s.MaxInFlight);
        Assert.True(s.PublishToEventStream);
        Assert.Equal("ami.inline-dispatcher", s.Dispatcher);
        Assert.Empty(s.Servers);
    }

    [Theory]
    [InlineData("auto", AmiReadBufferSharing.Auto)]
    [InlineData("AUTO", AmiReadBufferSharing.Auto)]
    [InlineData("on", AmiReadBufferSharing.On)]
    [InlineData("true", AmiReadBufferSharing.On)]
    [InlineData("off", AmiReadBufferSharing.Off)]
    [InlineData("no", AmiReadBufferSharing.Off)]
    public void Share_read_buffers_is_read_from_the_connection_section(string value, AmiReadBufferSharing expected)
    {
        var s = AmiSettings.Create(ConfigurationFactory.ParseString($"ami.connection.share-read-buffers = {value}"));
        Assert.Equal(expected, s.ShareReadBuffers);
    }

    [Fact]
    public void A_share_read_buffers_value_that_is_not_auto_on_or_off_is_an_error_naming_the_key()
    {
        var e = Assert.Throws<AmiConfigurationException>(() => AmiSettings.Create(ConfigurationFactory.ParseString("ami.connection.share-read-buffers = sometimes")));
        Assert.Contains("ami.connection.share-read-buffers", e.Message);
        Assert.Contains("auto, on or off", e.Message);
        Assert.Contains("sometimes", e.Message);
    }

    [Fact]
    public void An_empty_dispatcher_id_is_a_configuration_error_naming_the_key()
    {
        var e = Assert.Throws<AmiConfigurationException>(() => AmiSettings.Create(ConfigurationFactory.ParseString("ami.dispatcher = \"\"")));
        Assert.Contains("ami.dispatcher", e.Message);
    }

    [Fact]
    public void Servers_are_read_from_ami_servers()
    {
        var s = AmiSettings.Create(ConfigurationFactory.ParseString("""
            ami.connection.heartbeat-interval = off
            ami.servers {
              pbx1 { host = "10.0.0.10", username = "admin", secret = "s3cret", auth-type = md5, event-mask = "call,agent" }
              pbx2 { host = "10.0.0.11", port = 5039, username = "u", secret = "p", tls = on, action-timeout = 3s }
            }
            """));
        Assert.Null(s.HeartbeatInterval);
        var pbx1 = s.Servers.Single(x => x.Id == "pbx1");
        Assert.Equal(5038, pbx1.Port);
        Assert.Equal(AmiAuthType.Md5, pbx1.AuthType);
        Assert.Equal("call,agent", pbx1.EventMask);
        var pbx2 = s.Servers.Single(x => x.Id == "pbx2");
        Assert.True(pbx2.UseTls);
        Assert.Equal(TimeSpan.FromSeconds(3), pbx2.ActionTimeout);
    }

    [Theory]
    [InlineData("ami.reconnect.random-factor = 7", "ami.reconnect.random-factor")]
    [InlineData("ami.actions.max-in-flight = 0", "ami.actions.max-in-flight")]
    [InlineData("ami.actions.when-disconnected = sometimes", "ami.actions.when-disconnected")]
    [InlineData("ami.connection.connect-timeout = soon", "ami.connection.connect-timeout")]
    [InlineData("ami.connection.read-buffer-size = 511", "ami.connection.read-buffer-size")]
    [InlineData("ami.connection.read-buffer-size = 1048577", "ami.connection.read-buffer-size")]
    [InlineData("ami.servers.x { host = h, username = u, secret = p, port = 99999 }", "ami.servers.x.port")]
    [InlineData("ami.servers.x { host = h, username = u, secret = p, auth-type = rsa }", "ami.servers.x.auth-type")]
    [InlineData("ami.servers.x { username = u, secret = p }", "ami.servers.x.host")]
    public void Invalid_values_name_their_key(string hocon, string key)
    {
        var error = Assert.Throws<AmiConfigurationException>(() => AmiSettings.Create(ConfigurationFactory.ParseString(hocon)));
        Assert.Equal(key, error.Key);
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Secrets_never_appear_in_errors_or_ToString()
    {
        var error = Assert.Throws<AmiConfigurationException>(() => AmiSettings.Create(ConfigurationFactory.ParseString(
            "ami.servers.x { host = h, username = u, secret = \"topsecret\", port = -1 }")));
        Assert.DoesNotContain("topsecret", error.Message);
        var def = new AmiServerDefinition("x", "h", 1, "u", "topsecret");
        Assert.DoesNotContain("topsecret", def.ToString());
    }
}
