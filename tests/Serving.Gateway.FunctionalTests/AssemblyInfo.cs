// Gateways, workers and redis-servers share 2 cores and the process-wide Prometheus registry:
// one test at a time keeps load tests meaningful and metric deltas exact.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
