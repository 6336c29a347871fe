using BenchmarkDotNet.Running;

// e.g. dotnet run -c Release --project loadtests/Serving.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Serving.Benchmarks.Support.Samples).Assembly).Run(args);
