#!/usr/bin/env bash
# Fails when proto/ breaks the wire or generated-code contract (buf rule set FILE) compared
# with a git ref: `proto/check-breaking.sh [ref]`, default HEAD~1 (CI: the previous commit).
# Succeeds with a message when the ref does not exist or has no proto/ yet (first commit,
# shallow clone): there is nothing to break.
set -euo pipefail
cd "$(dirname "$0")/.."

ref="${1:-HEAD~1}"

if ! git rev-parse --verify --quiet "${ref}^{commit}" >/dev/null; then
  echo "proto breaking check: skipped, git ref '${ref}' does not exist (first commit or shallow clone)"
  exit 0
fi
if ! git cat-file -e "${ref}:proto/buf.yaml" 2>/dev/null; then
  echo "proto breaking check: skipped, '${ref}' has no proto/buf.yaml yet"
  exit 0
fi

# buf reads the ref straight from the repository; the work tree is not touched.
npx --no-install buf breaking proto --against ".git#ref=${ref},subdir=proto"
echo "proto breaking check: no breaking change against '${ref}'"
