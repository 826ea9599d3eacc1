using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace AmiActors.Cli.Tests;

/// <summary>An <c>ami listen</c> process (the test project's copy of ami.dll), its output, and SIGTERM.</summary>
internal sealed class Worker : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Worker(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static Worker Start(string name, string directory, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ami.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }
        var process = new Process { StartInfo = info };
        var worker = new Worker(process);
        process.OutputDataReceived += (_, e) => worker.Append(name, e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(name + " stderr", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string _, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>What an operator's <c>kill</c> or a container stop sends.</summary>
    public void Terminate()
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(0, Kill(_process.Id, 15));
        }
        else
        {
            _process.Kill();
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
