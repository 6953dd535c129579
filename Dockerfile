# syntax=docker/dockerfile:1
#
# kprofiler image: `docker build -t kprofiler:local .`
#
# Stage 1 builds a static binary of ./cmd/consumer with the Go toolchain;
# stage 2 copies it into a distroless image that holds nothing else (no
# shell, no package manager) and runs as the unprivileged user "nonroot"
# (uid 65532).
#
# The configuration is not baked in: mount it at /etc/kprofiler/kprofiler.yaml
# (docker-compose.yml mounts deploy/kprofiler.yaml there) or pass another
# path with `run --config …`. Every field can also come from KPROFILER_…
# environment variables.
#
# No HEALTHCHECK: the distroless image has no shell, curl or wget to probe
# /healthz with, and the consumer has no probe subcommand. Probe
# http://<container>:9464/healthz and /readyz from outside (Kubernetes
# httpGet probes, a load balancer, or `curl 127.0.0.1:9464/readyz` on the
# host of the compose stack).

ARG GO_VERSION=1.26

# The builder runs on the build machine's platform and cross-compiles for the
# target platform, so `docker buildx build --platform linux/arm64` needs no
# emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first: this layer (and the module cache mount) is reused while
# go.mod and go.sum do not change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# -trimpath: no build-machine paths in the binary; -s -w: no symbol table or
# DWARF. -buildvcs=false: .git is not in the build context (.dockerignore).
# The consumer has no version variable yet; once cmd/consumer declares
# `var version string`, add -X main.version=${VERSION} to -ldflags.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w" -o /out/consumer ./cmd/consumer

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="kprofiler" \
      org.opencontainers.image.description="Kafka consumer that turns event streams into whylogs profiles" \
      org.opencontainers.image.source="https://github.com/kprofiler/kprofiler" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/consumer /consumer
USER 65532:65532
# /metrics, /healthz, /readyz (http.listen must be ":9464" or
# "0.0.0.0:9464" in a container; the default 127.0.0.1:9464 is unreachable
# from outside it).
EXPOSE 9464
ENTRYPOINT ["/consumer"]
CMD ["run", "--config", "/etc/kprofiler/kprofiler.yaml"]
