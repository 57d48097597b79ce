#!/bin/sh
# Drives muxd from a CI script with curl: start it with port 0, read the ready
# record, add a UDP echo listener through the control API, turn drop=1 on (no
# reply) and off (a reply), then stop muxd. Set MUXD to a muxd binary; without
# it, muxd runs from this repository with `deno task serve`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
ready="$work/ready.json"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -n "${MUXD:-}" ]; then
  "$MUXD" serve --control 127.0.0.1:0 --ready-file "$ready" >/dev/null 2>"$work/log" &
else
  (cd "$here/../.." && exec deno task --quiet serve --control 127.0.0.1:0 --ready-file "$ready") \
    >/dev/null 2>"$work/log" &
fi
pid=$!

i=0
until [ -s "$ready" ]; do
  i=$((i + 1))
  if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "muxd did not get ready:" >&2; cat "$work/log" >&2; exit 1
  fi
  sleep 0.1
done

# The ready record is one JSON line; sed picks the two fields out of it.
url=$(sed 's/.*"control":{"url":"\([^"]*\)".*/\1/' "$ready")
token=$(sed 's/.*"control":{[^}]*"token":"\([^"]*\)".*/\1/' "$ready")
api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }

added=$(api -X POST --data '"udp://127.0.0.1:0=echo"' "${url}v1/listeners")
id=$(echo "$added" | sed 's/.*"id":"\([^"]*\)".*/\1/')
port=$(echo "$added" | sed 's/.*"port":\([0-9]*\).*/\1/')
echo "added $id on port $port"

ask() { echo "$1" | nc -u -w1 127.0.0.1 "$port" || true; }
[ "$(ask hello)" = hello ] || { echo "no echo before the fault" >&2; exit 1; }

api -X PUT --data '"drop=1&seed=1"' "${url}v1/listeners/$id/faults" >/dev/null
[ -z "$(ask lost)" ] || { echo "a reply came through drop=1" >&2; exit 1; }
echo "drop=1: no reply"

api -X DELETE "${url}v1/listeners/$id/faults" >/dev/null
[ "$(ask back)" = back ] || { echo "no echo after the fault was cleared" >&2; exit 1; }
echo "faults cleared: reply"

api -X DELETE "${url}v1/listeners/$id" >/dev/null
echo "removed $id"
