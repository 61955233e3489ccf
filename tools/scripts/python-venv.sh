# Sourced by the tool installers (tools/deploy-check/install-tools.sh, tools/e2e/fuzz/install-schemathesis.sh).
#
# ensure_venv VENV_DIR REQUIREMENTS EXECUTABLE...
#   Makes VENV_DIR a virtualenv with exactly the pinned REQUIREMENTS, unless it already is one (a
#   stamp holds the requirements' SHA-256) holding every EXECUTABLE in its bin/. A venv made from
#   other requirements is made again. Logs to stderr through the caller's `log`.
ensure_venv() {
  local venv_dir="$1" requirements="$2" stamp wanted executable complete=yes
  shift 2
  stamp="$venv_dir/.requirements.sha256"
  wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
  for executable in "$@"; do
    [ -x "$venv_dir/bin/$executable" ] || complete=no
  done
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ "$complete" = yes ]; then
    log "$* already installed"
    return
  fi
  log "installing $(tr '\n' ' ' <"$requirements")into $venv_dir"
  rm -rf "$venv_dir"
  if ! python3 -m venv "$venv_dir"; then
    log "python3 -m venv failed; on Debian install python3-venv"
    exit 1
  fi
  "$venv_dir/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
  printf '%s\n' "$wanted" >"$stamp"
}
