using Akka.Configuration;
using AmiActors.Hosting;
using Microsoft.Extensions.Configuration;

namespace AmiActors.Hosting.Tests;

public class SampleConfigTests
{
    private static string Sample(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AmiActors.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("AmiActors.sln not found"), "hocon", "samples", name);
    }

    [Fact]
    public void The_one_server_sample_is_valid_runtime_configuration()
    {
        var settings = AmiSettings.Create(ConfigurationFactory.ParseString(File.ReadAllText(Sample("one-server.conf"))));
        var server = Assert.Single(settings.Servers);
        Assert.Equal("pbx1", server.Id);
        Assert.Equal("call,agent", server.EventMask);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.DefaultActionTimeout);
    }

    [Fact]
    public void The_several_servers_sample_is_valid_runtime_configuration()
    {
        var settings = AmiSettings.Create(ConfigurationFactory.ParseString(File.ReadAllText(Sample("several-servers.conf"))));
        Assert.Equal(["lab", "pbx-a", "pbx-b"], settings.Servers.Select(s => s.Id).Order());
        var a = settings.Servers.Single(s => s.Id == "pbx-a");
        Assert.Equal(AmiAuthType.Md5, a.AuthType);
        Assert.Equal(5038, a.Port);
        var lab = settings.Servers.Single(s => s.Id == "lab");
        Assert.True(lab.UseTls && lab.AcceptInvalidCertificate);
        Assert.Equal(TimeSpan.FromSeconds(3), lab.ConnectTimeout);
        Assert.Equal(AmiDisconnectedPolicy.Fail, settings.WhenDisconnected);
    }

    [Fact]
    public void The_appsettings_sample_binds_and_emits_valid_configuration()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Sample("appsettings.sample.json")).Build();
        var options = new AmiOptions();
        configuration.GetSection(AmiOptions.SectionName).Bind(options);
        var settings = AmiSettings.Create(ConfigurationFactory.ParseString(options.ToHocon()));
        Assert.Equal(2, settings.Servers.Count);
        var pbx2 = settings.Servers.Single(s => s.Id == "pbx2");
        Assert.True(pbx2.UseTls);
        Assert.Equal(5039, pbx2.Port);
        Assert.Equal(AmiAuthType.Md5, pbx2.AuthType);
        Assert.Equal(TimeSpan.FromSeconds(30), pbx2.ActionTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ConnectTimeout);
    }
}
