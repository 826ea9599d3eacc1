using System.Globalization;
using System.Net;
using System.Text.Json;
using AmiActors.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace AmiActors.Cli;

/// <summary>Where <c>ami listen --http</c> serves: an IP address (or <c>localhost</c>, or <c>*</c> for every address) and a port.</summary>
internal sealed record HttpListenAddress(IPAddress Address, int Port)
{
    /// <summary>
    /// Parses <c>127.0.0.1:9464</c>, <c>[::1]:9464</c>, <c>localhost:9464</c>, <c>*:9464</c> (every interface) or a bare
    /// port (loopback). Port 0 takes any free port.
    /// </summary>
    public static bool TryParse(string text, out HttpListenAddress address, out string? problem)
    {
        address = null!;
        problem = null;
        text = text.Trim();
        string host = "127.0.0.1", port = text;
        int colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            host = text[..colon].Trim('[', ']');
            port = text[(colon + 1)..];
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
        {
            problem = $"'{text}' is not an address to listen on: give HOST:PORT with a port from 0 to 65535 (for example 127.0.0.1:9464).";
            return false;
        }
        IPAddress? ip = host switch
        {
            "" or "localhost" => IPAddress.Loopback,
            "*" => IPAddress.IPv6Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        if (ip is null)
        {
            problem = $"'{host}' is not an IP address to listen on (give an IP address, localhost, or * for every interface).";
            return false;
        }
        address = new HttpListenAddress(ip, p);
        return true;
    }

    public override string ToString() =>
        Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>
/// The worker's HTTP endpoints, on a minimal Kestrel server of their own (off unless configured):
/// <c>/healthz</c> answers 200 while the process runs; <c>/readyz</c> answers 200 when every configured server is logged
/// in and 503 otherwise, with each server's state as JSON; <c>/metrics</c> is the Prometheus text format of the
/// <c>AmiActors</c> meter and .NET's built-in <c>System.Runtime</c> meter (process CPU and memory, GC, thread pool),
/// through OpenTelemetry's Prometheus exporter.
/// </summary>
internal sealed class HttpEndpointService(HttpListenAddress listen, HealthCheckService health, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    /// <summary>The meters exported on <c>/metrics</c>.</summary>
    internal static readonly string[] Meters = [AmiMetrics.MeterName, "System.Runtime"];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly ILogger _logger = loggerFactory.CreateLogger<HttpEndpointService>();
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // An empty builder: no configuration files, no file watchers, no default logging providers; only Kestrel and routing.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(listen.Address, listen.Port);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Meters)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/healthz", () => Results.Text("ok\n", "text/plain"));
        app.MapGet("/readyz", (Delegate)ReadyAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new CliException(ExitCodes.Usage, $"cannot serve HTTP on {listen}: {e.Message.TrimEnd('.')}.");
        }
        _app = app;
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? listen.ToString();
        _logger.LogInformation("Serving /healthz, /readyz and /metrics on {HttpAddress}", bound);
    }

    private async Task<IResult> ReadyAsync(HttpContext context)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains("ami"), context.RequestAborted).ConfigureAwait(false);
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
        };
        // A cluster worker: its own membership first (it is ready only while it is an Up member).
        if (report.Entries.TryGetValue(ListenClusterHealth.NodeCheck, out var node))
        {
            var cluster = new Dictionary<string, object?>
            {
                ["status"] = node.Status.ToString(),
                ["description"] = node.Description,
            };
            foreach (var (k, v) in node.Data)
            {
                cluster[k] = v;
            }
            body["cluster"] = cluster;
        }
        body["servers"] = report.Entries.Where(e => e.Key != ListenClusterHealth.NodeCheck).ToDictionary(
            e => e.Key.StartsWith("ami:", StringComparison.Ordinal) ? e.Key[4..] : e.Key,
            e =>
            {
                var server = new Dictionary<string, object?>
                {
                    ["status"] = e.Value.Status.ToString(),
                    ["description"] = e.Value.Description,
                    ["state"] = e.Value.Data.TryGetValue("state", out var state) ? state : e.Value.Data.Count == 1 ? e.Value.Data.Values.First() : e.Value.Data,
                };
                if (e.Value.Data.TryGetValue("node", out var host))
                {
                    server["node"] = host;
                }
                return server;
            });
        int code = report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return Results.Json(body, Json, "application/json", code);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }
}
