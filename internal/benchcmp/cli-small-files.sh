#!/usr/bin/env bash
# cli-small-files.sh measures the real command line on many small files:
# `ossdrop upload` (default flags, --quiet) of FILES files of SIZE bytes, 1,000
# per folder, to `ossdrop serve-local` on loopback, both built from this tree.
# It prints wall time, the client's CPU and peak RSS (/usr/bin/time), the
# server's CPU, and the load average before the run, for each of REPS runs.
#
#   internal/benchcmp/cli-small-files.sh            # 100,000 × 256 B, 1 run
#   FILES=500000 REPS=2 internal/benchcmp/cli-small-files.sh
#
# The tree, the server's data and the state directory go under WORK (default:
# a new directory in /dev/shm when it exists, else in $TMPDIR), removed at the end.
set -euo pipefail
FILES=${FILES:-100000}
SIZE=${SIZE:-256}
REPS=${REPS:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
WORK=${WORK:-$(mktemp -d "$base/ossdrop-bench.XXXXXX")}
trap 'rm -rf "$WORK"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 2; }

(cd "$root" && go build -trimpath -o "$WORK/ossdrop" .)
mkdir -p "$WORK/gen"
cat > "$WORK/gen/main.go" <<'GO'
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	dir := os.Args[1]
	files, _ := strconv.Atoi(os.Args[2])
	size, _ := strconv.Atoi(os.Args[3])
	body := make([]byte, size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	for i := 0; i < files; i++ {
		d := filepath.Join(dir, fmt.Sprintf("d%04d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				panic(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%04d", i%1000)), body, 0o644); err != nil {
			panic(err)
		}
	}
}
GO
(cd "$WORK/gen" && GO111MODULE=off go run main.go "$WORK/tree" "$FILES" "$SIZE")

export OSS_ACCESS_KEY_ID=AKIDbench OSS_ACCESS_KEY_SECRET=bench-secret-0123456789
echo "ossdrop upload: $FILES files × $SIZE B, loopback serve-local, $(nproc) cores"
for rep in $(seq "$REPS"); do
	rm -rf "$WORK/srv" "$WORK/state"
	mkdir -p "$WORK/srv"
	"$WORK/ossdrop" serve-local -dir "$WORK/srv" >"$WORK/srv.out" 2>"$WORK/srv.err" &
	srv=$!
	ep=
	for _ in $(seq 100); do
		ep=$(head -1 "$WORK/srv.out" 2>/dev/null || true)
		[ -n "$ep" ] && break
		sleep 0.1
	done
	[ -n "$ep" ] || { echo "serve-local did not start:" >&2; cat "$WORK/srv.err" >&2; kill "$srv"; exit 1; }
	load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)
	out=$( { /usr/bin/time -f '%e %U %S %M' "$WORK/ossdrop" upload -endpoint "$ep" -bucket local -quiet \
		-state-dir "$WORK/state" "$WORK/tree" >"$WORK/upload.out"; } 2>&1 | tail -1)
	read -r wall user sys rss <<<"$out"
	srvcpu=$(awk '{printf "%.1f", ($14+$15)/100}' "/proc/$srv/stat" 2>/dev/null || echo "?")
	kill -INT "$srv"
	wait "$srv" 2>/dev/null || true
	printf 'run %d: wall %s s, client CPU %.1f s (user %s + sys %s), client peak RSS %.1f MiB, server CPU %s s, load before %s; %s\n' \
		"$rep" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)" "$srvcpu" "$load" "$(cat "$WORK/upload.out")"
done
