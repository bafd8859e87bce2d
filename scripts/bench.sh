#!/usr/bin/env bash
# The side-by-side protocol benchmarks of issue 6: installs what is missing (the build's
# packages, and for the benchmark itself RabbitMQ (with its MQTT and STOMP plugins, which
# Debian ships in the same package) and Mosquitto to compare against, gnuplot for the charts
# and iperf3 for the loopback limit), builds the release preset's plexusd, plugins and
# plexus-bench, then runs bench/protocols/run.py, which starts plexusd, RabbitMQ and Mosquitto
# privately on free loopback ports, runs the scenario matrix, stops what it started and writes
# bench/results/<date>/report.md with charts. bench/protocols/README.md explains the figures.
#
#   scripts/bench.sh [--no-build] [run.py options: --plexus-only | --peers-only, --scenario RE,
#                     --reps N, --seconds S, --smoke, --note TEXT, --list ...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build=1
pass=()
want_peers=1
want_charts=1
want_limits=1
for a in "$@"; do
    case "$a" in
        --no-build) build=0; continue ;;
        --plexus-only) want_peers=0 ;;
        --smoke) want_peers=0; want_charts=0; want_limits=0 ;;
        --no-charts) want_charts=0 ;;
        --no-limits) want_limits=0 ;;
        -h|--help) exec python3 bench/protocols/run.py --help ;;
    esac
    pass+=("$a")
done

scripts/install-deps.sh
extra=()
if [[ $want_peers -eq 1 ]]; then extra+=(rabbitmq-server mosquitto); fi
if [[ $want_charts -eq 1 ]]; then extra+=(gnuplot-nox); fi
if [[ $want_limits -eq 1 ]]; then extra+=(iperf3); fi
missing=()
for p in ${extra[@]+"${extra[@]}"}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "bench.sh: installing ${missing[*]}" >&2
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # The bench starts its own private RabbitMQ and Mosquitto; Debian's services (started by
    # the packages on a machine with systemd) are neither used nor touched.
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ $build -eq 1 ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target plexusd plexus_plugins plexus-bench
fi
exec python3 bench/protocols/run.py --build-dir "$root/build/release" ${pass[@]+"${pass[@]}"}
