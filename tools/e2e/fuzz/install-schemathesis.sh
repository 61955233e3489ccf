#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer of openapi-fuzz.int-spec.ts), pinned with every
# dependency in requirements.txt, into a virtualenv cached under $HOME so later runs work offline.
# A cached venv whose requirements changed is made again. Safe to run concurrently.
# Prints the path of the schemathesis executable as its last stdout line.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV_DIR="${BULKHEAD_FUZZ_VENV:-$HOME/.cache/bulkhead/schemathesis-venv}"

log() { printf 'install-schemathesis: %s\n' "$*" >&2; }
# shellcheck source=../../scripts/python-venv.sh
source "$HERE/../../scripts/python-venv.sh"

mkdir -p "$(dirname "$VENV_DIR")"
exec 9>"$VENV_DIR.lock"
flock 9
ensure_venv "$VENV_DIR" "$HERE/requirements.txt" schemathesis
echo "$VENV_DIR/bin/schemathesis"
