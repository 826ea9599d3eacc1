using System.Reflection;
using BenchmarkDotNet.Running;

namespace AmiActors.Benchmarks;

/// <summary>A load harness (not a BenchmarkDotNet benchmark): run with <c>dotnet run -c Release --project tests/AmiActors.Benchmarks -- NAME [args]</c>.</summary>
public interface IHarness
{
    /// <summary>The first command-line argument that selects this harness.</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the harness; returns the process exit code.</summary>
    Task<int> RunAsync(string[] args);
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var harnesses = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IHarness).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IHarness)Activator.CreateInstance(t)!)
            .ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
        if (args.Length > 0 && harnesses.TryGetValue(args[0], out var harness))
        {
            return await harness.RunAsync(args[1..]);
        }
        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("Usage: AmiActors.Benchmarks [HARNESS args] | [BenchmarkDotNet args, e.g. --filter '*Parser*']");
            foreach (var h in harnesses.Values.OrderBy(h => h.Name))
            {
                Console.WriteLine($"  {h.Name,-12} {h.Description}");
            }
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
        return 0;
    }
}
