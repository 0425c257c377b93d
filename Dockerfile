# syntax=docker/dockerfile:1
# Multi-stage build of a static watchfloor binary into a minimal,
# non-root image.
#   docker build --build-arg VERSION=$(git describe --always) -t watchfloor .
#   docker run -v $PWD/rules.d:/etc/watchfloor/rules.d -v $PWD/inbox:/var/lib/watchfloor/inbox \
#     -v watchfloor-data:/var/lib/watchfloor/data -p 127.0.0.1:9464:9464 watchfloor

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules in their own layer: rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# The compile cache survives between builds (BuildKit), so a code change
# recompiles a few packages instead of every module (5 s instead of about
# 85 s on two cores).
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/watchfloor ./cmd/watchfloor \
 && mkdir -p /out/data /out/inbox

# distroless/static: CA certificates, tzdata and /etc/passwd with the
# nonroot user (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/watchfloor /usr/local/bin/watchfloor
COPY deploy/container/watchfloor.yaml /etc/watchfloor/watchfloor.yaml
COPY --chown=65532:65532 rules.d /etc/watchfloor/rules.d
COPY --from=build --chown=65532:65532 /out/data /var/lib/watchfloor/data
COPY --from=build --chown=65532:65532 /out/inbox /var/lib/watchfloor/inbox
USER 65532:65532
WORKDIR /var/lib/watchfloor
ENV WATCHFLOOR_CONFIG=/etc/watchfloor/watchfloor.yaml
VOLUME ["/etc/watchfloor/rules.d", "/var/lib/watchfloor/inbox", "/var/lib/watchfloor/data"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/usr/local/bin/watchfloor", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/watchfloor"]
CMD ["run", "--log-format", "json"]
