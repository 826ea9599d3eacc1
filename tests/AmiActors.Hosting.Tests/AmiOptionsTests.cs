using Akka.Configuration;
using AmiActors.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AmiActors.Hosting.Tests;

public class AmiOptionsTests
{
    [Fact]
    public void Options_left_unset_emit_no_hocon_and_keep_the_reference_defaults()
    {
        var hocon = new AmiOptions().ToHocon();
        Assert.Equal("ami {\n}\n", hocon);
        var settings = AmiSettings.Create(ConfigurationFactory.ParseString(hocon));
        Assert.Equal(AmiSettings.Default, settings with { Servers = AmiSettings.Default.Servers });
        Assert.Empty(settings.Servers);
    }

    [Fact]
    public void What_was_set_reaches_the_runtime_settings()
    {
        var options = new AmiOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            HeartbeatInterval = TimeSpan.Zero,
            MaxInFlight = 50,
            BufferWhenDisconnected = false,
            BackoffRandomFactor = 0.5,
            PublishToEventStream = false,
            ShareReadBuffers = AmiReadBufferSharing.On,
            ActionTimeout = TimeSpan.FromMilliseconds(1500),
            ReadBufferSize = 65536,
        };
        options.AddServer("pbx-1", "10.0.0.10", 5039, "admin", "s3\"cr\\et", s =>
        {
            s.UseTls = true;
            s.AcceptInvalidCertificate = true;
            s.AuthType = AmiAuthType.Md5;
            s.EventMask = "call,agent";
            s.LoginTimeout = TimeSpan.FromSeconds(4);
        });
        options.AddServer("pbx2", "pbx2.example.com", 5038, "reader", "pw");

        var settings = AmiSettings.Create(ConfigurationFactory.ParseString(options.ToHocon()));

        Assert.Equal(TimeSpan.FromSeconds(3), settings.ConnectTimeout);
        Assert.Null(settings.HeartbeatInterval);
        Assert.Equal(50, settings.MaxInFlight);
        Assert.Equal(AmiDisconnectedPolicy.Fail, settings.WhenDisconnected);
        Assert.Equal(0.5, settings.RandomFactor);
        Assert.False(settings.PublishToEventStream);
        Assert.Equal(AmiReadBufferSharing.On, settings.ShareReadBuffers);
        Assert.Contains("share-read-buffers = on", options.ToHocon());
        Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.DefaultActionTimeout);
        Assert.Equal(65536, settings.ReadBufferSize);
        Assert.Equal(AmiSettings.Default.LoginTimeout, settings.LoginTimeout);
        var pbx1 = Assert.Single(settings.Servers, s => s.Id == "pbx-1");
        Assert.Equal(new AmiServerDefinition("pbx-1", "10.0.0.10", 5039, "admin", "s3\"cr\\et")
        {
            UseTls = true,
            AcceptInvalidCertificate = true,
            AuthType = AmiAuthType.Md5,
            EventMask = "call,agent",
            LoginTimeout = TimeSpan.FromSeconds(4),
        }, pbx1);
        Assert.Contains(settings.Servers, s => s.Id == "pbx2" && s.Port == 5038 && !s.UseTls);
    }

    [Fact]
    public void Options_bind_from_appsettings_keys_and_environment_variables()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Ami:ActionTimeout"] = "00:00:20",
                ["Ami:ShareReadBuffers"] = "off",
                ["Ami:Servers:0:Id"] = "pbx1",
                ["Ami:Servers:0:Host"] = "10.0.0.1",
                ["Ami:Servers:0:Username"] = "admin",
                ["Ami:Servers:0:Secret"] = "one",
                ["Ami:Servers:0:AuthType"] = "Md5",
                ["Ami:Servers:1:Host"] = "pbx2.local",
                ["Ami:Servers:1:Port"] = "15038",
                ["Ami:Servers:1:Username"] = "admin",
                ["Ami:Servers:1:Secret"] = "two",
                ["Ami:Servers:1:UseTls"] = "true",
            })
            .Build();
        using var provider = new ServiceCollection().AddAmi(configuration).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<AmiOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(20), options.ActionTimeout);
        Assert.Equal(AmiReadBufferSharing.Off, options.ShareReadBuffers);
        Assert.Contains("share-read-buffers = off", options.ToHocon());
        Assert.Equal(2, options.Servers.Count);
        Assert.Equal(AmiAuthType.Md5, options.Servers[0].ToDefinition().AuthType);
        var second = options.Servers[1].ToDefinition();
        Assert.Equal("pbx2-local", second.Id);
        Assert.Equal("pbx2.local", second.Host);
        Assert.Equal(15038, second.Port);
        Assert.True(second.UseTls);
    }

    [Fact]
    public void Environment_variable_names_with_double_underscores_bind_the_same_way()
    {
        const string prefix = "AMIACTORS_HOSTING_TEST_";
        Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Host", "10.9.9.9");
        Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Username", "envuser");
        Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Secret", "envsecret");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            using var provider = new ServiceCollection().AddAmi(configuration).BuildServiceProvider();
            var server = Assert.Single(provider.GetRequiredService<IOptions<AmiOptions>>().Value.Servers);
            Assert.Equal("10.9.9.9", server.Host);
            Assert.Equal(5038, server.ToDefinition().Port);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Host", null);
            Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Username", null);
            Environment.SetEnvironmentVariable(prefix + "Ami__Servers__0__Secret", null);
        }
    }

    [Theory]
    [InlineData(null, "admin", "pw", "Host is required")]
    [InlineData("h", null, "pw", "Username is required")]
    [InlineData("h", "admin", null, "Secret is required")]
    public void Missing_server_values_are_named_in_the_error(string? host, string? user, string? secret, string expected)
    {
        var options = new AmiOptions();
        options.Servers.Add(new AmiServerOptions { Id = "x", Host = host, Username = user, Secret = secret });
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(expected, e.Message);
        Assert.Contains("Ami:Servers:0", e.Message);
    }

    [Theory]
    [InlineData(511)]
    [InlineData(1048577)]
    public void A_read_buffer_size_outside_its_range_is_refused(int size)
    {
        var options = new AmiOptions { ReadBufferSize = size };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Ami:ReadBufferSize must be between 512 and 1048576 bytes", e.Message);
    }

    [Fact]
    public void Duplicate_ids_are_refused()
    {
        var options = new AmiOptions().AddServer("a", "h1", 5038, "u", "p").AddServer("a", "h2", 5038, "u", "p");
        Assert.Contains("used twice", Assert.Throws<ArgumentException>(options.Validate).Message);
    }

    [Fact]
    public void ToString_never_shows_a_secret()
    {
        var options = new AmiOptions().AddServer("a", "h1", 5038, "u", "VerySecret1");
        Assert.DoesNotContain("VerySecret1", options.ToString());
        Assert.DoesNotContain("VerySecret1", options.Servers[0].ToString());
    }
}
