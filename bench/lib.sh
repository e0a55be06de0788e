# Shared pieces of the benchmark scripts (sourced, not run). The caller sets BENCH_NAME
# before sourcing and runs from the project root.

log() { echo "$BENCH_NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }

# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL; reaps it if it is our child.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop on SIGTERM, killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# build_mailflow RUN_OURS: sets $mailflow to $MAILFLOW or builds the Release binary.
build_mailflow() {
  mailflow=${MAILFLOW:-build/release/app/mailflow}
  if (($1)) && [ -z "${MAILFLOW:-}" ]; then
    log "building the Release build"
    cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILFLOW_TESTS=OFF >&2 \
      || die "cmake configure failed"
    cmake --build build/release --target mailflow -j "${BUILD_JOBS:-1}" >&2 || die "build failed"
  fi
  if (($1)); then [ -x "$mailflow" ] || die "$mailflow was not built"; fi
}
