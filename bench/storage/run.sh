#!/usr/bin/env bash
# The storage benchmarks of issue 3, each figure beside the machine's own limit measured in the
# same run: builds the release preset, then repeats [dd, file append, fdatasync loop, file
# commit, rocksdb append, rocksdb commit] so that yardsticks and figures interleave (a load
# change on a shared machine then hits both), measures recovery, and writes the medians as a
# markdown table to bench/results/<date>/storage.md (storage-quick.md for --quick) and prints
# it. README.md explains each figure.
#
#   bench/storage/run.sh [--quick] [--bodies repeated|random] [--dir DIR] [--no-build] [--note TEXT]
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/storage/run.sh [--quick] [--bodies repeated|random] [--dir DIR] [--no-build] [--note TEXT]
  --quick      smoke run: 128 MiB sizes, 1 s rates, 1 repetition (figures not comparable)
  --bodies K   record bodies of the append rows: repeated (one letter; default) or random
               (incompressible; dd then copies random bytes too, see README.md)
  --dir DIR    where the data goes (default $TMPDIR, else /tmp); removed afterwards
  --no-build   use the existing build/release
  --note TEXT  a line for the report (e.g. "machine shared with a build")
EOF
}

quick=0
bodies=repeated
parent="${TMPDIR:-/tmp}"
build=1
note=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1 ;;
        --bodies) bodies="$2"; shift ;;
        --dir) parent="$2"; shift ;;
        --no-build) build=0 ;;
        --note) note="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [[ "$bodies" != repeated && "$bodies" != random ]]; then
    echo "run.sh: --bodies takes repeated or random, not '$bodies'" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ $build -eq 1 ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target plexus-storage-bench plexus_storage_file plexus_storage_rocksdb
fi
bench="$root/build/release/bench/storage/plexus-storage-bench"

if [[ $quick -eq 1 ]]; then
    reps=1; mib=128; seconds=1; sync_seconds=1; warmup_ms=200
else
    reps=3; mib=1024; seconds=3; sync_seconds=2; warmup_ms=500
fi

mkdir -p "$parent"
work="$(mktemp -d "$parent/plexus-storage-run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
samples="$work/samples"   # lines: <key> <value>
details="$work/details"   # lines: <key> <extras of the last sample>
: >"$samples"
: >"$details"

say() { echo "run.sh: $*" >&2; }

# dd's sequential write bandwidth: `dd_direct` (O_DIRECT, 1 MiB writes) is the yardstick, what
# the disk takes when nothing else is in the way. `dd_fdatasync` (buffered writes, one fdatasync
# at the end) is reported beside it: it is the engine's path, but one sync of a whole GiB of
# dirty pages can be much slower than the disk (it was here), which would flatter the engine.
# With random bodies dd copies random bytes too: a virtual disk may take zeros faster (this
# one did, 1.7-1.9 GB/s against 0.9-1.2), which would make the yardstick unreachable.
dd_source=/dev/zero
if [[ "$bodies" == random ]]; then
    dd_source="$work/random.bin"
    head -c "$((mib << 20))" /dev/urandom >"$dd_source"
    sync "$dd_source" # written back before anything is measured
fi
dd_once() {
    local key="$1" flag="$2" out bytes secs
    out="$(LC_ALL=C dd if="$dd_source" of="$work/dd.bin" bs=1M count="$mib" "$flag" 2>&1 | tail -1)"
    rm -f "$work/dd.bin"
    bytes="$(awk '{print $1}' <<<"$out")"
    secs="$(sed -E 's/.*copied, ([0-9.e+-]+) s.*/\1/' <<<"$out")"
    awk -v k="$key" -v b="$bytes" -v s="$secs" 'BEGIN { printf "%s %.6g\n", k, b / s / 1e6 }' >>"$samples"
    say "dd $flag: $out"
}
measure_dd() {
    dd_once dd_direct oflag=direct
    dd_once dd_fdatasync conv=fdatasync
}

# measure <key> <repetitions> <tool arguments...>: runs the tool and records each sample it
# took under <key>, and the extras of its median sample.
measure() {
    local key="$1" n="$2"
    shift 2
    local line
    line="$("$bench" "$@" --repetitions "$n" --dir "$work" | grep '^result ')"
    awk -v k="$key" '{ for (i = 1; i <= NF; i++) if ($i ~ /^samples=/) { sub(/^samples=/, "", $i); n = split($i, v, ","); for (j = 1; j <= n; j++) print k, v[j] } }' \
        <<<"$line" >>"$samples"
    echo "$key ${line#result }" >>"$details"
}

median() {
    awk -v k="$1" '$1 == k { print $2 }' "$samples" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
samples_of() { awk -v k="$1" '$1 == k { printf "%s%s", sep, $2; sep = ", " }' "$samples"; }
extra_of() { awk -v k="$1" -v f="$2" '$1 == k { for (i = 2; i <= NF; i++) if (index($i, f "=") == 1) v = substr($i, length(f) + 2) } END { print v }' "$details"; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s)
for ((r = 1; r <= reps; r++)); do
    say "repetition $r of $reps"
    measure_dd
    measure file_append 1 append --engine file --fsync none --payload-mib "$mib" --bodies "$bodies"
    measure fdatasync 1 fdatasync --seconds "$sync_seconds"
    measure file_commit 1 commit --engine file --fsync batch --appenders 64 --seconds "$seconds" --warmup-ms "$warmup_ms"
    measure rocksdb_append 1 append --engine rocksdb --fsync none --payload-mib "$mib" --bodies "$bodies"
    measure rocksdb_commit 1 commit --engine rocksdb --fsync batch --appenders 64 --seconds "$seconds" --warmup-ms "$warmup_ms"
done
say "recovery"
measure recovery_clean "$reps" recovery --engine file --stop clean --log-mib "$mib"
measure recovery_kill "$reps" recovery --engine file --stop kill --log-mib "$mib"
measure recovery_clean_cold "$reps" recovery --engine file --stop clean --cold --log-mib "$mib"
measure recovery_kill_cold "$reps" recovery --engine file --stop kill --cold --log-mib "$mib"
elapsed=$(($(date +%s) - started))
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

dd_v=$(median dd_direct)
dd_sync=$(median dd_fdatasync)
fa=$(median file_append)
fs=$(median fdatasync)
fc=$(median file_commit)
ra=$(median rocksdb_append)
rc=$(median rocksdb_commit)

# verdict <value> <op> <target>: PASS or FAIL
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= t : v < t; print ok ? "PASS" : "FAIL" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
fmt() { awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f", d, v }'; }

r1=$(ratio "$fa" "$dd_v"); r1s=$(ratio "$fa" "$dd_sync"); r2=$(ratio "$fc" "$fs"); r4a=$(ratio "$ra" "$fa"); r4b=$(ratio "$rc" "$fc")
size_label=$([[ $mib -eq 1024 ]] && echo "1 GiB" || echo "$mib MiB")

report="$work/storage.md"
{
    echo "# Storage benchmarks (issue 3)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'),"
    echo "$(nproc) cores, $(uname -sr), data on $(df -PT "$parent" | awk 'NR == 2 { print $2 }'),"
    echo "load average $load_before before and $load_after after; $elapsed s."
    if [[ $quick -eq 1 ]]; then
        echo
        echo "**Quick run**: $mib MiB sizes, ${seconds} s rates, 1 repetition. Not comparable with the targets."
    fi
    if [[ -n "$note" ]]; then
        echo
        echo "Note: $note"
    fi
    echo
    echo "Medians of $reps repetitions. Records have 100-byte bodies ($bodies in rows 1 and 4a; dd copies from $dd_source); MB = 10^6 bytes of record payload."
    echo
    echo "| # | figure | measured | yardstick | yardstick value | ratio | target | result |"
    echo "| --- | --- | ---: | --- | ---: | ---: | --- | --- |"
    echo "| 1 | file, fsync none: append batches of 1000 records ($size_label), then flush + close | $(fmt "$fa" 1) MB/s | dd bs=1M oflag=direct ($size_label) | $(fmt "$dd_v" 1) MB/s | $(fmt "$r1" 2) | >= 0.70 | $(verdict "$r1" '>=' 0.70) |"
    echo "| 2 | file, fsync batch: 64 appenders of single records, each awaiting its flush | $(fmt "$fc" 0) appends/s | pwrite 100 B + fdatasync loop, one writer | $(fmt "$fs" 0) syncs/s | $(fmt "$r2" 1)x | >= 20x | $(verdict "$r2" '>=' 20) |"
    echo "| 3a | file: engine create + open_log of a $size_label log after a clean stop | $(fmt "$(median recovery_clean)" 3) s | | | | < 1 s | $(verdict "$(median recovery_clean)" '<' 1) |"
    echo "| 3b | file: the same after kill -9 of the writing process | $(fmt "$(median recovery_kill)" 3) s | | | | < 3 s | $(verdict "$(median recovery_kill)" '<' 3) |"
    echo "| 3c | file: 3a with the log evicted from the page cache | $(fmt "$(median recovery_clean_cold)" 3) s | | | | < 1 s | $(verdict "$(median recovery_clean_cold)" '<' 1) |"
    echo "| 3d | file: 3b with the log evicted from the page cache | $(fmt "$(median recovery_kill_cold)" 3) s | | | | < 3 s | $(verdict "$(median recovery_kill_cold)" '<' 3) |"
    echo "| 4a | rocksdb, fsync none: as 1 | $(fmt "$ra" 1) MB/s | file engine, row 1 | $(fmt "$fa" 1) MB/s | $(fmt "$r4a" 2) | >= 0.50 | $(verdict "$r4a" '>=' 0.50) |"
    echo "| 4b | rocksdb, fsync batch: as 2 | $(fmt "$rc" 0) appends/s | file engine, row 2 | $(fmt "$fc" 0) appends/s | $(fmt "$r4b" 2) | >= 0.50 | $(verdict "$r4b" '>=' 0.50) |"
    echo
    echo "## Samples and details"
    echo
    echo "- dd oflag=direct MB/s: $(samples_of dd_direct); dd conv=fdatasync MB/s: $(samples_of dd_fdatasync) (median $(fmt "$dd_sync" 1); row 1 against it: $(fmt "$r1s" 2))"
    echo "- 1 file append MB/s: $(samples_of file_append); last run: $(extra_of file_append append_s) s appending, $(extra_of file_append flush_close_s) s flush + close, $(extra_of file_append stored_bytes) bytes stored"
    echo "- fdatasync syncs/s: $(samples_of fdatasync)"
    echo "- 2 file commit appends/s: $(samples_of file_commit); last run: $(extra_of file_commit syncs_per_s) syncs/s, $(extra_of file_commit appends_per_sync) appends per sync"
    echo "- 3a clean s: $(samples_of recovery_clean); 3b kill s: $(samples_of recovery_kill) ($(extra_of recovery_kill records_after_full) records appended after the log was full, last run)"
    echo "- 3c clean cold s: $(samples_of recovery_clean_cold); 3d kill cold s: $(samples_of recovery_kill_cold)"
    echo "- 4a rocksdb append MB/s: $(samples_of rocksdb_append); last run: $(extra_of rocksdb_append append_s) s appending, $(extra_of rocksdb_append flush_close_s) s flush + close"
    echo "- 4b rocksdb commit appends/s: $(samples_of rocksdb_commit); last run: $(extra_of rocksdb_commit syncs_per_s) syncs/s, $(extra_of rocksdb_commit appends_per_sync) appends per sync"
} >"$report"

# A quick run does not overwrite the day's full one.
name=$([[ $quick -eq 1 ]] && echo storage-quick.md || echo storage.md)
out_dir="$root/bench/results/$(date +%F)"
mkdir -p "$out_dir"
cp "$report" "$out_dir/$name"
cat "$report"
say "written to bench/results/$(date +%F)/$name"
