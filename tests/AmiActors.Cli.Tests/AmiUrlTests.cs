namespace AmiActors.Cli.Tests;

public class AmiUrlTests
{
    private static string? NoEnv(string _) => null;

    [Fact]
    public void A_tcp_url_without_a_port_uses_5038()
    {
        var url = AmiUrl.Parse("tcp://admin:s3cret@pbx.example.com", NoEnv);
        Assert.Equal(new AmiUrl(false, "admin", "s3cret", "pbx.example.com", 5038), url);
    }

    [Fact]
    public void A_tls_url_without_a_port_uses_5039()
    {
        var url = AmiUrl.Parse("tls://admin:s3cret@10.0.0.1", NoEnv);
        Assert.True(url.Tls);
        Assert.Equal(5039, url.Port);
    }

    [Fact]
    public void Port_ipv6_and_percent_encoded_secrets_are_understood()
    {
        var url = AmiUrl.Parse("tcp://ad%40min:p%3Aw%40d@[::1]:15038/", NoEnv);
        Assert.Equal("ad@min", url.Username);
        Assert.Equal("p:w@d", url.Secret);
        Assert.Equal("::1", url.Host);
        Assert.Equal(15038, url.Port);
        Assert.Equal("tcp://ad@min@[::1]:15038", url.ToString());
    }

    [Fact]
    public void The_secret_comes_from_AMI_SECRET_when_the_url_has_none()
    {
        var url = AmiUrl.Parse("tcp://admin@host:5038", name => name == "AMI_SECRET" ? "from-env" : null);
        Assert.Equal("from-env", url.Secret);
    }

    [Theory]
    [InlineData("http://admin:pw@host", "unknown scheme")]
    [InlineData("admin:pw@host", "expected tcp://")]
    [InlineData("tcp://host:5038", "user name is missing")]
    [InlineData("tcp://admin@host", "no secret")]
    [InlineData("tcp://admin:pw@host:99999", "invalid port")]
    [InlineData("tcp://admin:pw@host:abc", "invalid port")]
    [InlineData("tcp://admin:pw@", "host is missing")]
    public void Bad_urls_are_usage_errors_with_a_specific_reason(string text, string reason)
    {
        var e = Assert.Throws<CliException>(() => AmiUrl.Parse(text, NoEnv));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Error_messages_never_contain_the_secret()
    {
        var e = Assert.Throws<CliException>(() => AmiUrl.Parse("tcp://admin:TopSecret99@host:0", NoEnv));
        Assert.DoesNotContain("TopSecret99", e.Message);
        Assert.Contains("tcp://admin:***@host:0", e.Message);
        Assert.DoesNotContain("TopSecret99", AmiUrl.Parse("tcp://admin:TopSecret99@host", NoEnv).ToString());
    }
}
