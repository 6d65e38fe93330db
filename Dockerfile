# Multi-stage build: a static coroner binary on a small Debian base that
# carries the tools captures use (perf, gdb's gcore, zstd).
#
# Base images are pinned by digest (the tag is kept for the reader): the
# same Dockerfile builds on the same bases until the pins are bumped on
# purpose. To bump, read the current digest of each tag's multi-platform
# index with `docker buildx imagetools inspect golang:1.26.8-bookworm`.
FROM golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/coroner/coroner/internal/version.Version=${VERSION}" \
      -o /out/coroner ./cmd/coroner

FROM debian:bookworm-slim@sha256:88200866dfff7ea7f5cbcb6ec7c8a701889efe6fe859fe64d6990e4b07ea4171
RUN apt-get update \
 && apt-get install -y --no-install-recommends linux-perf gdb zstd xz-utils lz4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/coroner /usr/local/bin/coroner
RUN useradd --create-home coroner
USER coroner
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/coroner"]
CMD ["--help"]
