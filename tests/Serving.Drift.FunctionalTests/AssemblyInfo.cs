// The hosts share the process-wide Prometheus registry and two cores: run the classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
