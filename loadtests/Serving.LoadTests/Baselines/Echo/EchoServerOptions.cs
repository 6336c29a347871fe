using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Baselines.Echo;

/// <summary>How the echo baseline listens and what model shape it advertises (any model name is accepted).</summary>
/// <param name="Ports">The h2c and HTTP/1.1 ports.</param>
/// <param name="Features">The second dimension of the advertised input <c>input: FP32 [-1, Features]</c>; 256 matches bench_mlp.</param>
internal sealed record EchoServerOptions(BaselinePorts Ports, int Features = 256);
