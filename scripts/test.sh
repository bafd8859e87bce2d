#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test suite (unit, conformance,
# integration). PLEXUS_PRESET=asan-ubsan runs the same under the sanitizers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
preset="${PLEXUS_PRESET:-dev}"
# ccache keyed on paths relative to the checkout, so another clone of the tree (CI's) reuses
# what an earlier build compiled.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j2
