#!/usr/bin/env bash
# Installs what is missing, builds plexusd and its plugins (release) and starts it on the
# embedded default configuration. Extra arguments go to plexusd (e.g. --config plexus.yaml).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target plexusd plexusctl plexus_plugins
exec build/release/kernel/plexusd "$@"
