#!/usr/bin/env bash
# Checks what the Dockerfile's final image holds, without a container
# engine: builds the binary as the Dockerfile does (static, CGO_ENABLED=0,
# version stamped), lays out the image's files in an empty root (no
# shell, no libraries: only the binary, CA certificates, time zones, the
# config and the rules) and runs it there as the image's non-root user:
# the daemon must start, answer the HEALTHCHECK command and process a
# seed dropped into the inbox volume. Needs root (chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
chmod 755 "$root"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=check" -o "$root/usr/local/bin/watchfloor" ./cmd/watchfloor
# The root has no /lib: a binary that is not static cannot even start in it.
mkdir -p "$root/etc/ssl/certs" "$root/etc/watchfloor" "$root/var/lib/watchfloor/data" "$root/var/lib/watchfloor/inbox" "$root/tmp"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
[ -d /usr/share/zoneinfo ] && mkdir -p "$root/usr/share" && cp -r /usr/share/zoneinfo "$root/usr/share/"
echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" > "$root/etc/passwd"
cp deploy/container/watchfloor.yaml "$root/etc/watchfloor/watchfloor.yaml"
# The rules volume starts empty, as a bind mount of an empty directory
# does: the daemon fills it from the rule pack in the binary.
mkdir -p "$root/etc/watchfloor/rules.d"
chown -R 65532:65532 "$root/var/lib/watchfloor" "$root/etc/watchfloor/rules.d"

run() { env -i WATCHFLOOR_CONFIG=/etc/watchfloor/watchfloor.yaml "$(command -v chroot)" --userspec=65532:65532 "$root" /usr/local/bin/watchfloor "$@"; }
run version
env -i WATCHFLOOR_CONFIG=/etc/watchfloor/watchfloor.yaml "$(command -v chroot)" --userspec=65532:65532 "$root" \
  /usr/local/bin/watchfloor run --log-format json > "$root/tmp/stdout" 2> "$root/tmp/stderr" &
pid=$!
for _ in $(seq 1 50); do
  run healthcheck >/dev/null 2>&1 && break
  sleep 0.2
done
run healthcheck
cp testdata/seeds/004.txt "$root/var/lib/watchfloor/inbox/.004.txt"
chown 65532:65532 "$root/var/lib/watchfloor/inbox/.004.txt"
mv "$root/var/lib/watchfloor/inbox/.004.txt" "$root/var/lib/watchfloor/inbox/004.txt"
for _ in $(seq 1 50); do
  [ -f "$root/var/lib/watchfloor/inbox/processed/004.txt" ] && grep -q '"rule":"foiled-plot"' "$root/tmp/stdout" && break
  sleep 0.2
done
grep -q '"rule":"foiled-plot"' "$root/tmp/stdout" || { echo "no alert"; cat "$root/tmp/stderr"; exit 1; }
[ -f "$root/var/lib/watchfloor/inbox/processed/004.txt" ] || { echo "seed not processed"; exit 1; }
ls "$root/etc/watchfloor/rules.d" | grep -q security.yaml || { echo "rules volume not seeded"; exit 1; }
kill -TERM "$pid"
wait "$pid" || { echo "exit status $? after SIGTERM"; cat "$root/tmp/stderr"; exit 1; }
pid=""
echo "container layout ok: static binary, non-root, healthcheck, alert from a seed, rules seeded"
