using Akka.Configuration;

namespace AmiActors.Cluster.Tests;

public sealed class SecretResolverTests
{
    private static AmiSecretResolver Resolver(string servers, Func<string, string?>? custom = null)
    {
        var config = ConfigurationFactory.ParseString(servers + "\nami.cluster.secrets { vault-pbx = \"from-hocon\" }").WithFallback(AmiCluster.DefaultConfig);
        return new AmiSecretResolver(AmiClusterSettings.Create(config), AmiSettings.Create(config), custom);
    }

    [Fact]
    public void A_configured_secret_in_clear_is_what_config_reference_resolves_to()
    {
        var resolver = Resolver("ami.servers.pbx1 { host = h, username = u, secret = \"plain-secret\" }");
        Assert.Equal("plain-secret", resolver.Resolve("config:pbx1"));
        Assert.Null(resolver.Resolve("config:pbx2"));
    }

    [Fact]
    public void A_configured_env_or_secret_reference_is_resolved_by_config_reference_not_sent_as_the_literal_text()
    {
        string variable = "AMI_RESOLVER_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "from-env");
        try
        {
            var resolver = Resolver($$"""
                ami.servers.pbx1 { host = h, username = u, secret = "env:{{variable}}" }
                ami.servers.pbx2 { host = h, username = u, secret = "secret:vault-pbx" }
                ami.servers.pbx3 { host = h, username = u, secret = "config:pbx1" }
                """);
            Assert.Equal("from-env", resolver.Resolve("config:pbx1"));
            Assert.Equal("from-hocon", resolver.Resolve("config:pbx2"));
            // A config: reference inside the configuration is not followed (no loops): it stays the configured text.
            Assert.Equal("config:pbx1", resolver.Resolve("config:pbx3"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void An_unset_variable_behind_a_config_reference_resolves_to_nothing()
    {
        var resolver = Resolver("ami.servers.pbx1 { host = h, username = u, secret = \"env:AMI_RESOLVER_TEST_NEVER_SET\" }");
        Assert.Null(resolver.Resolve("config:pbx1"));
    }
}
