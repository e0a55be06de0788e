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

# capture_settings NAME...: remembers which of these settings the environment gave
# (env_given), before the script fills in its defaults, for the recorded command line.
declare -A env_given
capture_settings() {
  local v
  bench_settings=("$@")
  for v in "$@"; do
    if [ -n "${!v:-}" ]; then env_given[$v]=${!v}; fi
  done
}

# start_results FILE: writes the file's heading if it is empty or missing.
start_results() {
  if [ ! -s "$1" ]; then
    printf '# Benchmark results\n\nRecorded by the scripts in bench/ (see bench/README.md); newest last.\n' >"$1"
  fi
}

# results_preamble TITLE: the heading of a results section, the machine and the command
# as run (every setting the environment gave, then the script, with its commit).
results_preamble() {
  local cmdline="" v cpu_model
  cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  for v in "${bench_settings[@]}"; do
    if [ -n "${env_given[$v]:-}" ]; then cmdline+="$v='${env_given[$v]}' "; fi
  done
  cmdline+="bench/$BENCH_NAME.sh"
  echo
  echo "## $1 — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr)"
  echo "- command: \`$cmdline\` (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ', with uncommitted changes'))"
}

# require_integers MIN NAME...: each named setting must be an integer of at least MIN
# (0 or 1); otherwise the script stops with exit status 2.
require_integers() {
  local min=$1 v pattern='^[1-9][0-9]*$' what='a positive integer'
  shift
  if [ "$min" = 0 ]; then pattern='^[0-9]+$' what='a non-negative integer'; fi
  for v in "$@"; do
    [[ ${!v} =~ $pattern ]] || { echo "$BENCH_NAME: $v must be $what (got '${!v}')" >&2; exit 2; }
  done
}
