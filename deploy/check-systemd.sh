#!/usr/bin/env bash
# Checks deploy/watchfloor.service: `systemd-analyze verify` must pass and
# `systemd-analyze security` must rate its exposure at 1.0 or below.
# Installs systemd (for systemd-analyze) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq systemd >/dev/null) || { echo "cannot install systemd" >&2; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify wants ExecStart's binary to exist: point it at a fresh build.
go build -o "$tmp/watchfloor" ./cmd/watchfloor
sed "s|/usr/local/bin/watchfloor|$tmp/watchfloor|" deploy/watchfloor.service > "$tmp/watchfloor.service"
systemd-analyze verify "$tmp/watchfloor.service"
out=$(systemd-analyze security --offline=true "$tmp/watchfloor.service" 2>&1 | tail -n 1)
echo "$out"
score=$(echo "$out" | grep -oE '[0-9]+\.[0-9]+' | head -n 1)
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.0) }' || { echo "systemd exposure $score is above 1.0" >&2; exit 1; }
echo "systemd unit ok: exposure $score"
