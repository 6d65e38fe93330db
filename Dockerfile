# Multi-stage build: a static coroner binary on a small Debian base that
# carries the tools captures use (perf, gdb's gcore, zstd).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/coroner/coroner/internal/version.Version=${VERSION}" \
      -o /out/coroner ./cmd/coroner

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends linux-perf gdb zstd xz-utils lz4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/coroner /usr/local/bin/coroner
RUN useradd --create-home coroner
USER coroner
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/coroner"]
CMD ["--help"]
