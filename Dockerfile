# syntax=docker/dockerfile:1.7
# One image for every role: `serving up | worker | gateway | drift | traffic | features | infer`.
#   CPU (default):  docker build -t serving .
#   GPU (CUDA 12):  docker build -t serving:gpu --build-arg FLAVOR=gpu .
# Models are baked in read-only at /models; mount your own repository over it read-only
# (docker run -v "$PWD/models:/models:ro" ...). See docs/deploy.md.

ARG FLAVOR=cpu
ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---- build: restore on the project files alone (a cached layer), then publish ----
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG FLAVOR
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY protos/ protos/
COPY src/Serving.Protocol/Serving.Protocol.csproj src/Serving.Protocol/
COPY src/Serving.Hosting/Serving.Hosting.csproj src/Serving.Hosting/
COPY src/Serving.Worker/Serving.Worker.csproj src/Serving.Worker/
COPY src/Serving.Gateway/Serving.Gateway.csproj src/Serving.Gateway/
COPY src/Serving.Drift/Serving.Drift.csproj src/Serving.Drift/
COPY src/Serving/Serving.csproj src/Serving/
# FLAVOR=gpu builds against Microsoft.ML.OnnxRuntime.Gpu (src/Serving.Worker/Serving.Worker.csproj).
RUN gpu=false; if [ "$FLAVOR" = gpu ]; then gpu=true; fi \
 && dotnet restore src/Serving/Serving.csproj -p:OnnxRuntimeGpu=$gpu
COPY src/ src/
RUN gpu=false; if [ "$FLAVOR" = gpu ]; then gpu=true; fi \
 && dotnet publish src/Serving/Serving.csproj -c Release -o /app --no-restore -p:OnnxRuntimeGpu=$gpu

# ---- runtime bases: the same layout on both (dotnet in /usr/share/dotnet, user app = 1654) ----
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime-cpu

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS dotnet-runtime
FROM ${CUDA_IMAGE} AS runtime-gpu
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --gid 1654 app && useradd --no-log-init --uid 1654 --gid 1654 --create-home app

# ---- final ----
FROM runtime-${FLAVOR} AS final
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    ASPNETCORE_HTTP_PORTS="" \
    Serving__Worker__ModelRepository=/models \
    Serving__Drift__ModelRepository=/models \
    Serving__Drift__Archive__Directory=/var/lib/serving/prediction-logs \
    Serving__Gateway__DataDirectory=/var/lib/serving/gateway
# Each role binds its own ports (the empty ASPNETCORE_HTTP_PORTS avoids Kestrel's override warning). WORKDIR has no models/ folder,
# so `--models` / the ModelRepository keys decide, never a ./models lookup.
WORKDIR /var/lib/serving
COPY --from=build /app /app
RUN ln -s /app/serving /usr/local/bin/serving \
 && mkdir -p /var/lib/serving/prediction-logs /var/lib/serving/gateway \
 && chown -R 1654:1654 /var/lib/serving
# Models: owned by root, read-only for the app user.
COPY models/ /models/
RUN chmod -R a=rX /models

# The health check is bash alone (the base image has no curl): GET /v2/health/ready on the first
# REST port that accepts a connection: the gateway's (and `serving up`'s), the worker's, the drift monitor's.
COPY --chmod=0755 <<'EOF' /usr/local/bin/serving-healthcheck
#!/bin/bash
path=/v2/health/ready
for port in ${SERVING_HEALTH_PORT:-${Serving__Gateway__RestPort:-8000} ${Serving__Worker__RestPort:-8080} ${Serving__Drift__RestPort:-8091}}; do
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || continue
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
  IFS=' ' read -r -t 5 _ status _ <&3
  exec 3<&-
  [ "$status" = 200 ]
  exit
done
exit 1
EOF

USER 1654:1654
# gateway / `serving up`: REST 8000, gRPC 8001, metrics 8002, admin 8003
EXPOSE 8000 8001 8002 8003
# worker: REST 8080, gRPC 8081, metrics 8082
EXPOSE 8080 8081 8082
# drift monitor: gRPC ingest 8090, REST report/health/metrics 8091
EXPOSE 8090 8091
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 CMD ["/usr/local/bin/serving-healthcheck"]
ENTRYPOINT ["serving"]
CMD ["up", "--bind", "0.0.0.0", "--models", "/models"]
