#!/usr/bin/env bash
# SMTP benchmark: messages per second accepted by mailflow's MX (mx.beta.test), beside
# Postfix's smtp-sink (stores nothing) and a Python aiosmtpd server (discards), same run;
# then the latency of one SMTP transaction and the end-to-end time submission -> Maildir.
#
#   bench/smtp_bench.sh                     # full run (installs postfix, builds Release)
#   ROUNDS=5 bench/smtp_bench.sh            # rounds of (ours, smtp-sink, aiosmtpd) runs (default 3)
#   MESSAGES=2000 bench/smtp_bench.sh       # messages per run against our MX (default 1000)
#   REF_MESSAGES=50000 bench/smtp_bench.sh  # messages per run against the references (default 10000)
#   BENCH_ONLY=sink,aiosmtpd bench/smtp_bench.sh   # only these servers (ours, sink, aiosmtpd)
#   LAT_COUNT=0 E2E_COUNT=0 bench/smtp_bench.sh    # skip the latency parts
#   RECORD=0 bench/smtp_bench.sh            # do not append to bench/RESULTS.md
#   MAILFLOW=path/to/mailflow bench/smtp_bench.sh  # use this binary, skip the build
#
# The load is Postfix's smtp-source: SESSIONS (20) sessions in parallel, 1 KiB messages from
# alice@alpha.test to bob@beta.test, once with persistent sessions (-d, every message over
# the same connection) and once with a new connection per message. The server is pinned to
# SERVER_CPU (1) and every client to CLIENT_CPU (0) with taskset. Our MX checks the recipient
# and stores every message durably in bob's Maildir; the references store nothing.
# Exits non-zero only if the benchmark could not run; the targets (ours >= 25% of smtp-sink's
# msg/s; one transaction < 1 ms; end-to-end < 10 ms median) are reported, not enforced.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

BENCH_NAME=smtp_bench
# shellcheck source=bench/lib.sh
source bench/lib.sh
settings=(BENCH_ONLY ROUNDS MESSAGES REF_MESSAGES SESSIONS MSG_SIZE LAT_COUNT E2E_COUNT E2E_SECONDS
  FSYNC_COUNT SERVER_CPU CLIENT_CPU SINK_ADDR SINK_PORT AIOSMTPD_ADDR AIOSMTPD_PORT MAILFLOW)
# settings given in the environment, for the command line recorded with the results
capture_settings "${settings[@]}"

ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-1000}
REF_MESSAGES=${REF_MESSAGES:-10000}
SESSIONS=${SESSIONS:-20}
MSG_SIZE=${MSG_SIZE:-1024}
LAT_COUNT=${LAT_COUNT:-1000}
E2E_COUNT=${E2E_COUNT:-1000}
E2E_SECONDS=${E2E_SECONDS:-120}      # the end-to-end part stops sending after this long
E2E_MSG_TIMEOUT=${E2E_MSG_TIMEOUT:-10} # seconds to wait for one message in the Maildir
FSYNC_COUNT=${FSYNC_COUNT:-500}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
SINK_ADDR=${SINK_ADDR:-127.10.9.25}
SINK_PORT=${SINK_PORT:-10025}
AIOSMTPD_ADDR=${AIOSMTPD_ADDR:-127.10.9.26}
AIOSMTPD_PORT=${AIOSMTPD_PORT:-10025}
BENCH_ONLY=${BENCH_ONLY:-}
RECORD=${RECORD:-1}
READY_TIMEOUT=${READY_TIMEOUT:-20}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}     # seconds one smtp-source run may take
PY=/usr/bin/python3                 # Debian's python3, which has python3-aiosmtpd

require_integers 1 ROUNDS MESSAGES REF_MESSAGES SESSIONS MSG_SIZE E2E_SECONDS E2E_MSG_TIMEOUT READY_TIMEOUT RUN_TIMEOUT SINK_PORT AIOSMTPD_PORT
require_integers 0 LAT_COUNT E2E_COUNT FSYNC_COUNT SERVER_CPU CLIENT_CPU
for v in SERVER_CPU CLIENT_CPU; do
  ((${!v} < $(nproc))) || { echo "smtp_bench: $v=${!v}, but this machine has $(nproc) CPUs" >&2; exit 2; }
done
run_ours=1 run_sink=1 run_aio=1
if [ -n "$BENCH_ONLY" ]; then
  run_ours=0 run_sink=0 run_aio=0
  IFS=, read -r -a only <<<"$BENCH_ONLY"
  for o in "${only[@]}"; do
    case $o in
      ours) run_ours=1 ;;
      sink) run_sink=1 ;;
      aiosmtpd) run_aio=1 ;;
      *) echo "smtp_bench: BENCH_ONLY is a comma-separated list of ours, sink, aiosmtpd (got '$BENCH_ONLY')" >&2; exit 2 ;;
    esac
  done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailflow-smtp-bench.XXXXXX")
pids=()
client_pid=""

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in $client_pid "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- setup, build
log "installing packages (scripts/setup --bench)"
scripts/setup --bench >&2
for p in /usr/sbin/smtp-source /usr/sbin/smtp-sink; do [ -x "$p" ] || die "$p not installed (postfix)"; done
command -v taskset >/dev/null || die "taskset not installed (util-linux)"
[ -x "$PY" ] || die "$PY not installed"
if ((run_aio)); then "$PY" -c 'import aiosmtpd.handlers' 2>/dev/null || die "python3-aiosmtpd not installed"; fi

build_mailflow "$run_ours"

# ---------------------------------------------------------------- helpers
# Servers and clients are started as `taskset -c CPU program ...`: taskset execs the
# program, so $! is the program itself (its CPU time, and the process the trap stops).
on_server() { taskset -c "$SERVER_CPU" "$@"; }
# is_exe PID PATH: true once PID runs PATH (after taskset's exec).
is_exe() {
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(readlink -f "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ] && return 0
    sleep 0.02
  done
  return 1
}

# greets ADDR PORT: true if an SMTP server there sends a 220 greeting.
greets() {
  "$PY" - "$1" "$2" <<'EOF' 2>/dev/null
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
ok = s.recv(512).startswith(b"220")
try:
    s.sendall(b"QUIT\r\n"); s.recv(512)
except OSError:
    pass
sys.exit(0 if ok else 1)
EOF
}
# wait_smtp ADDR PORT PID: bounded wait (about 20 s) until the server greets; fails early if PID exits.
wait_smtp() {
  local i
  for ((i = 0; i < 100; i++)); do
    greets "$1" "$2" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# cpu_ticks PID...: user+system CPU ticks used so far by these processes (all threads).
cpu_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    # comm (field 2) may contain spaces: cut it off first
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
clk_tck=$(getconf CLK_TCK)
now_ns() { date +%s%N; }

# The client programs, written into the temp dir.
cat >"$tmp/smtp_latency.py" <<'EOF'
# smtp_latency.py ADDR PORT COUNT FROM TO SIZE: COUNT sequential full SMTP transactions
# (connect, greeting, EHLO, MAIL, RCPT, DATA with a SIZE-byte body, QUIT, close), each
# timed with perf_counter; prints key=value statistics in milliseconds.
import smtplib, statistics, sys, time
addr, port, count, frm, to, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
def message(i):
    line = b"X" * 78 + b"\r\n"
    body = (line * (size // len(line) + 1))[:size]
    body = body[: body.rfind(b"\r\n") + 2] if b"\r\n" in body else body + b"\r\n"
    head = (f"From: <{frm}>\r\nTo: <{to}>\r\nSubject: latency {i}\r\n"
            f"Message-ID: <lat-{i}-{time.time_ns()}@bench.alpha.test>\r\n\r\n").encode()
    return head + body
times, errors = [], 0
for i in range(count):
    msg = message(i)
    t0 = time.perf_counter()
    try:
        s = smtplib.SMTP(addr, port, local_hostname="bench.alpha.test", timeout=10)
        s.sendmail(frm, [to], msg)
        s.quit()
    except (smtplib.SMTPException, OSError) as e:
        errors += 1
        if errors == 1: print(f"first error: {e!r}", file=sys.stderr)
        continue
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
def pct(p): return times[max(0, -(-len(times) * p // 100) - 1)] if times else float("nan")
print(f"n={len(times)} errors={errors} median={statistics.median(times) if times else float('nan'):.3f} "
      f"p90={pct(90):.3f} p99={pct(99):.3f} min={times[0] if times else float('nan'):.3f} max={times[-1] if times else float('nan'):.3f}")
EOF

cat >"$tmp/smtp_e2e.py" <<'EOF'
# smtp_e2e.py ADDR PORT CAFILE LOGIN PASSWORD FROM TO MAILDIR COUNT BUDGET_S MSG_TIMEOUT_S SIZE
# One persistent submission session (STARTTLS, AUTH); for each message (unique Message-ID)
# it times the submission and then polls MAILDIR/new until the message is there: the
# end-to-end time is from the start of the submission (MAIL FROM) to the first poll that
# sees the file. The file's mtime minus the wall time at the start is reported too
# (file timestamps come from the kernel's coarse clock: up to one tick early).
import os, smtplib, ssl, statistics, sys, time
(addr, port, cafile, login, password, frm, to, maildir, count, budget, msg_timeout, size) = sys.argv[1:13]
port, count, budget, msg_timeout, size = int(port), int(count), float(budget), float(msg_timeout), int(size)
new = os.path.join(maildir, "new")
seen = set(os.listdir(new))
def message_id_of(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return None
    for line in head.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode(errors="replace")
    return None
def poll(pending, arrived):
    # pending: message-id -> (t0 perf, t0 wall ns); records arrivals; returns how many
    names = os.listdir(new)
    t_seen = time.perf_counter()
    found = 0
    for name in names:
        if name in seen: continue
        seen.add(name)
        mid = message_id_of(os.path.join(new, name))
        if mid in pending:
            t0, w0 = pending.pop(mid)
            try: mtime = os.stat(os.path.join(new, name)).st_mtime_ns
            except OSError: mtime = None
            arrived.append(((t_seen - t0) * 1000, None if mtime is None else (mtime - w0) / 1e6))
            found += 1
    return found
line = b"X" * 78 + b"\r\n"
body = (line * (size // len(line) + 1))[:size]
body = body[: body.rfind(b"\r\n") + 2]
ctx = ssl.create_default_context(cafile=cafile)
s = smtplib.SMTP(addr, port, local_hostname="bench.alpha.test", timeout=30)
s.starttls(context=ctx)
s.login(login, password)
pending, arrived, accept, sent, late_wait = {}, [], [], 0, 0
start = time.perf_counter()
for i in range(count):
    if time.perf_counter() - start > budget: break
    mid = f"<e2e-{i}-{time.time_ns()}@bench.alpha.test>"
    msg = (f"From: <{frm}>\r\nTo: <{to}>\r\nSubject: e2e {i}\r\nMessage-ID: {mid}\r\n\r\n").encode() + body
    w0, t0 = time.time_ns(), time.perf_counter()
    pending[mid] = (t0, w0)
    s.sendmail(frm, [to], msg)
    accept.append((time.perf_counter() - t0) * 1000)
    sent += 1
    deadline = time.perf_counter() + msg_timeout
    while mid in pending and time.perf_counter() < deadline:
        if not poll(pending, arrived): time.sleep(0.0001)
# a last look for late messages (bounded)
deadline = time.perf_counter() + min(msg_timeout, 5)
while pending and time.perf_counter() < deadline:
    if not poll(pending, arrived): time.sleep(0.001)
s.quit()
e2e = sorted(a for a, _ in arrived)
mt = sorted(m for _, m in arrived if m is not None)
accept.sort()
def pct(v, p): return v[max(0, -(-len(v) * p // 100) - 1)] if v else float("nan")
def med(v): return statistics.median(v) if v else float("nan")
print(f"sent={sent} delivered={len(arrived)} missing={len(pending)} seconds={time.perf_counter() - start:.1f} "
      f"median={med(e2e):.3f} p99={pct(e2e, 99):.3f} max={e2e[-1] if e2e else float('nan'):.3f} "
      f"mtime_median={med(mt):.3f} mtime_p99={pct(mt, 99):.3f} accept_median={med(accept):.3f} accept_p99={pct(accept, 99):.3f}")
EOF

cat >"$tmp/durable_write.py" <<'EOF'
# durable_write.py DIR COUNT SIZE: COUNT serial durable Maildir-style deliveries of SIZE
# bytes (write to tmp/, fsync, rename into new/, fsync new/); prints the median in ms.
import os, statistics, sys, time
d, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for sub in ("tmp", "new"): os.makedirs(os.path.join(d, sub), exist_ok=True)
data = b"X" * size
dfd = os.open(os.path.join(d, "new"), os.O_RDONLY | os.O_DIRECTORY)
times = []
for i in range(count):
    t0 = time.perf_counter()
    tmp, new = os.path.join(d, "tmp", str(i)), os.path.join(d, "new", str(i))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data); os.fsync(fd); os.close(fd)
    os.rename(tmp, new); os.fsync(dfd)
    times.append((time.perf_counter() - t0) * 1000)
os.close(dfd)
times.sort()
print(f"median={statistics.median(times):.3f} p99={times[max(0, -(-len(times) * 99 // 100) - 1)]:.3f}")
EOF

# kv KEY LINE: the value of KEY in a "key=value key=value" line.
kv() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == k) { print f[2]; exit } } }' <<<"$2"; }

# ---------------------------------------------------------------- our server
ours_addr="" ours_port="" sub_addr="" sub_port="" ca_file="" bob_maildir="" alice_login="" alice_password=""
if ((run_ours)); then
  log "starting ours (CPU $SERVER_CPU): $mailflow serve"
  taskset -c "$SERVER_CPU" "$mailflow" serve --state-dir "$tmp/state" --ready-file "$tmp/ready.json" --no-trace --no-control \
    >"$tmp/ours.log" 2>&1 &
  pids+=($!)
  ours_pid=$!
  is_exe "$ours_pid" "$mailflow" || die "pid $ours_pid is not $mailflow"
  # The ready file appears once every listener is up; it may be caught half-written,
  # so wait until it parses.
  ready_smtp() {
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
hosts = {h["name"]: h for h in d["hosts"]}
users = {u["address"]: u for u in d["users"]}
mx, sub = hosts["mx.beta.test"], hosts["smtp.alpha.test"]
alice, bob = users["alice@alpha.test"], users["bob@beta.test"]
print(mx["address"], int(mx["ports"]["smtp"]), sub["address"], int(sub["ports"]["submission"]),
      d["ca_file"], bob["maildir"], alice["login"], alice["password"])' "$tmp/ready.json" 2>/dev/null
  }
  ready=""
  for ((i = 0; i < READY_TIMEOUT * 10; i++)); do
    if [ -s "$tmp/ready.json" ] && ready=$(ready_smtp); then break; fi
    ready=""
    kill -0 "$ours_pid" 2>/dev/null || { cat "$tmp/ours.log" >&2; die "mailflow serve exited early"; }
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$tmp/ours.log" >&2; die "no usable ready file ($tmp/ready.json) after ${READY_TIMEOUT}s (needs mx.beta.test with smtp, smtp.alpha.test with submission)"; }
  read -r ours_addr ours_port sub_addr sub_port ca_file bob_maildir alice_login alice_password <<<"$ready"
  log "ours: MX mx.beta.test at $ours_addr:$ours_port, submission smtp.alpha.test at $sub_addr:$sub_port"
  wait_smtp "$ours_addr" "$ours_port" "$ours_pid" || die "our MX does not greet at $ours_addr:$ours_port"
  [ -d "$bob_maildir/new" ] || die "bob's Maildir ($bob_maildir/new) does not exist"
fi

# ---------------------------------------------------------------- smtp-sink
sink_version=$(dpkg-query -W -f='${Version}' postfix 2>/dev/null || echo unknown)
if ((run_sink)); then
  greets "$SINK_ADDR" "$SINK_PORT" && die "something already answers SMTP at $SINK_ADDR:$SINK_PORT; set SINK_ADDR/SINK_PORT"
  # -u: the user to run as, required when started as root; backlog 1024; -m 256 (default)
  # connections at once, far above SESSIONS.
  sink_cmd=(/usr/sbin/smtp-sink)
  [ "$(id -u)" -eq 0 ] && sink_cmd+=(-u nobody)
  sink_cmd+=("$SINK_ADDR:$SINK_PORT" 1024)
  log "starting smtp-sink (postfix $sink_version, CPU $SERVER_CPU): ${sink_cmd[*]}"
  taskset -c "$SERVER_CPU" "${sink_cmd[@]}" >"$tmp/sink.log" 2>&1 &
  pids+=($!)
  sink_pid=$!
  is_exe "$sink_pid" /usr/sbin/smtp-sink || die "pid $sink_pid is not smtp-sink"
  wait_smtp "$SINK_ADDR" "$SINK_PORT" "$sink_pid" || { cat "$tmp/sink.log" >&2; die "smtp-sink does not greet at $SINK_ADDR:$SINK_PORT"; }
fi

# ---------------------------------------------------------------- aiosmtpd
aio_version=$(dpkg-query -W -f='${Version}' python3-aiosmtpd 2>/dev/null || echo unknown)
if ((run_aio)); then
  greets "$AIOSMTPD_ADDR" "$AIOSMTPD_PORT" && die "something already answers SMTP at $AIOSMTPD_ADDR:$AIOSMTPD_PORT; set AIOSMTPD_ADDR/AIOSMTPD_PORT"
  # -n: no setuid to nobody; Sink: accepts every message and discards it
  aio_cmd=("$PY" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "$AIOSMTPD_ADDR:$AIOSMTPD_PORT")
  log "starting aiosmtpd $aio_version (CPU $SERVER_CPU): ${aio_cmd[*]}"
  taskset -c "$SERVER_CPU" "${aio_cmd[@]}" >"$tmp/aiosmtpd.log" 2>&1 &
  pids+=($!)
  aio_pid=$!
  is_exe "$aio_pid" "$PY" || die "pid $aio_pid is not $PY"
  wait_smtp "$AIOSMTPD_ADDR" "$AIOSMTPD_PORT" "$aio_pid" || { cat "$tmp/aiosmtpd.log" >&2; die "aiosmtpd does not greet at $AIOSMTPD_ADDR:$AIOSMTPD_PORT"; }
fi

labels=()
((run_ours)) && labels+=(ours)
((run_sink)) && labels+=(sink)
((run_aio)) && labels+=(aio)
name_of() { case $1 in ours) echo "mailflow MX" ;; sink) echo "smtp-sink" ;; aio) echo "aiosmtpd" ;; esac; }
addr_of() { case $1 in ours) echo "$ours_addr:$ours_port" ;; sink) echo "$SINK_ADDR:$SINK_PORT" ;; aio) echo "$AIOSMTPD_ADDR:$AIOSMTPD_PORT" ;; esac; }
pid_of() { case $1 in ours) echo "$ours_pid" ;; sink) echo "$sink_pid" ;; aio) echo "$aio_pid" ;; esac; }
count_of() { if [ "$1" = ours ]; then echo "$MESSAGES"; else echo "$REF_MESSAGES"; fi; }
stored() { find "$bob_maildir/new" -maxdepth 1 -type f | wc -l; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- durable write floor
# What one durable 1 KiB Maildir delivery costs on this disk, serially, outside any server.
fsync_median="" fsync_p99=""
if ((FSYNC_COUNT > 0)); then
  log "durable write: $FSYNC_COUNT serial write+fsync+rename+fsync(dir) of $MSG_SIZE bytes (CPU $SERVER_CPU)"
  mkdir -p "$tmp/durable"
  out=$(on_server "$PY" "$tmp/durable_write.py" "$tmp/durable" "$FSYNC_COUNT" "$MSG_SIZE") || die "durable write test failed"
  fsync_median=$(kv median "$out") fsync_p99=$(kv p99 "$out")
  rm -rf "$tmp/durable"
fi

# ---------------------------------------------------------------- end to end
# First, while bob's new/ is still small (polling a directory of thousands of files would
# slow the poller down).
e2e_out=""
if ((run_ours && E2E_COUNT > 0)); then
  log "end to end: $E2E_COUNT messages alice -> bob via $sub_addr:$sub_port (STARTTLS, AUTH), at most ${E2E_SECONDS}s (CPU $CLIENT_CPU)"
  taskset -c "$CLIENT_CPU" "$PY" "$tmp/smtp_e2e.py" "$sub_addr" "$sub_port" "$ca_file" "$alice_login" "$alice_password" \
    alice@alpha.test bob@beta.test "$bob_maildir" "$E2E_COUNT" "$E2E_SECONDS" "$E2E_MSG_TIMEOUT" "$MSG_SIZE" \
    >"$tmp/e2e.out" 2>"$tmp/e2e.err" &
  client_pid=$!
  wait "$client_pid" || { cat "$tmp/e2e.err" >&2; die "the end-to-end client failed"; }
  client_pid=""
  e2e_out=$(tail -n 1 "$tmp/e2e.out")
  log "end to end: $e2e_out"
fi

# ---------------------------------------------------------------- transaction latency
declare -A lat
if ((LAT_COUNT > 0)); then
  for l in "${labels[@]}"; do
    addr=$(addr_of "$l")
    log "latency: $LAT_COUNT sequential transactions (connect..QUIT) against $(name_of "$l") at $addr (CPU $CLIENT_CPU)"
    taskset -c "$CLIENT_CPU" "$PY" "$tmp/smtp_latency.py" "${addr%:*}" "${addr##*:}" "$LAT_COUNT" alice@alpha.test bob@beta.test "$MSG_SIZE" \
      >"$tmp/lat.$l.out" 2>"$tmp/lat.$l.err" &
    client_pid=$!
    wait "$client_pid" || { cat "$tmp/lat.$l.err" >&2; die "the latency client against $l failed"; }
    client_pid=""
    lat[$l]=$(tail -n 1 "$tmp/lat.$l.out")
    [ "$(kv errors "${lat[$l]}")" = 0 ] || { log "warning: $l: $(cat "$tmp/lat.$l.err")"; }
  done
fi

# ---------------------------------------------------------------- throughput
# run_source LABEL MODE ROUND: one smtp-source run; writes wall ns, CPU ticks and stored count.
run_source() {
  local label=$1 mode=$2 round=$3 addr n before after t0 t1 s0=0 s1=0 rc=0
  local -a cmd=(/usr/sbin/smtp-source)
  addr=$(addr_of "$label")
  n=$(count_of "$label")
  [ "$mode" = persistent ] && cmd+=(-d)
  cmd+=(-s "$SESSIONS" -l "$MSG_SIZE" -m "$n" -f alice@alpha.test -t bob@beta.test "$addr")
  local base="$tmp/$label.$mode.$round"
  log "round $round/$ROUNDS, $(name_of "$label"), $mode: ${cmd[*]}"
  [ "$label" = ours ] && s0=$(stored)
  before=$(cpu_ticks "$(pid_of "$label")")
  t0=$(now_ns)
  # in the background, so that a signal's trap runs at once (and stops the client too)
  timeout -k 5 "$RUN_TIMEOUT" taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$base.out" 2>&1 &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=""
  t1=$(now_ns)
  after=$(cpu_ticks "$(pid_of "$label")")
  kill -0 "$(pid_of "$label")" 2>/dev/null || die "$(name_of "$label") died during the run"
  if ((rc == 124)); then die "smtp-source against $label did not finish in ${RUN_TIMEOUT}s (RUN_TIMEOUT)"; fi
  if ((rc != 0)); then cat "$base.out" >&2; die "smtp-source against $label failed (exit $rc)"; fi
  if [ "$label" = ours ]; then
    s1=$(stored)
    echo $((s1 - s0)) >"$base.stored"
    echo "$s0" >"$base.before"
  fi
  echo "$n $((t1 - t0)) $((after - before))" >"$base.res"
}

# Rounds alternate the servers so that load from other programs on a shared machine hits
# them alike; the summary takes each server's median round.
modes=(persistent newconn)
for ((r = 1; r <= ROUNDS; r++)); do
  for l in "${labels[@]}"; do
    for m in "${modes[@]}"; do run_source "$l" "$m" "$r"; done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
# How full bob's mailbox was: our MX's cost per delivery may depend on it.
mailbox_line=""
if ((run_ours)); then
  per_run=()
  for ((r = 1; r <= ROUNDS; r++)); do
    for m in "${modes[@]}"; do per_run+=("$(cat "$tmp/ours.$m.$r.before")"); done
  done
  mailbox_line="bob's new/ held $(printf '%s, ' "${per_run[@]}" | sed 's/, $//') messages before each of our runs (in run order: round 1 persistent, round 1 new connection, ...) and $(stored) at the end"
fi
declare -A rate rates cpu_us msgs stored_sum cpu_s
for l in "${labels[@]}"; do
  for m in "${modes[@]}"; do
    rs=() n_sum=0 ticks_sum=0 st_sum=0
    for ((r = 1; r <= ROUNDS; r++)); do
      read -r n ns ticks <"$tmp/$l.$m.$r.res"
      rs+=("$(awk -v n="$n" -v ns="$ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')")
      n_sum=$((n_sum + n)) ticks_sum=$((ticks_sum + ticks))
      [ "$l" = ours ] && st_sum=$((st_sum + $(cat "$tmp/$l.$m.$r.stored")))
    done
    k="$l.$m"
    msgs[$k]=$n_sum
    stored_sum[$k]=$([ "$l" = ours ] && echo "$st_sum" || echo "—")
    rate[$k]=$(printf '%s\n' "${rs[@]}" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f", m }')
    rates[$k]=$(printf '%s\n' "${rs[@]}" | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }')
    cpu_s[$k]=$(awk -v t="$ticks_sum" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }')
    cpu_us[$k]=$(awk -v t="$ticks_sum" -v hz="$clk_tck" -v n="$n_sum" 'BEGIN { printf "%.0f", 1e6 * t / hz / n }')
  done
done

pct_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }'; }
mode_name() { if [ "$1" = persistent ]; then echo "$SESSIONS persistent sessions"; else echo "$SESSIONS parallel, new connection per message"; fi; }
ratios=()
for m in "${modes[@]}"; do
  parts=()
  ((run_ours && run_sink)) && parts+=("ours/smtp-sink $(pct_of "${rate[ours.$m]}" "${rate[sink.$m]}")%")
  ((run_ours && run_aio)) && parts+=("ours/aiosmtpd $(pct_of "${rate[ours.$m]}" "${rate[aio.$m]}")%")
  if ((${#parts[@]})); then
    ratios+=("$(mode_name "$m"): $(printf '%s, ' "${parts[@]}" | sed 's/, $//') of msg/s; server CPU per message ours/smtp-sink $( ((run_sink)) && awk -v a="${cpu_us[ours.$m]}" -v b="${cpu_us[sink.$m]}" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }' || echo "n/a")")
  fi
done
verdict=""
if ((run_ours && run_sink)); then
  p=$(pct_of "${rate[ours.persistent]}" "${rate[sink.persistent]}")
  c=$(pct_of "${rate[ours.newconn]}" "${rate[sink.newconn]}")
  if awk -v p="$p" -v c="$c" 'BEGIN { exit !(p >= 25 && c >= 25) }'; then
    verdict="meets the target (>= 25% of smtp-sink's msg/s, durable, both modes)"
  else
    verdict="below the target (>= 25% of smtp-sink's msg/s, durable, both modes)"
  fi
fi

throughput_table() { # $1 = "text" or "md"
  local l m k
  if [ "$1" = md ]; then
    echo "| server | address | load | msg/s (median) | msg/s per round | messages | server CPU s | server CPU µs/msg | stored in Maildir |"
    echo "|---|---|---|---:|---|---:|---:|---:|---:|"
    for m in "${modes[@]}"; do
      for l in "${labels[@]}"; do
        k="$l.$m"
        echo "| $(name_of "$l") | $(addr_of "$l") | $(mode_name "$m") | ${rate[$k]} | ${rates[$k]} | ${msgs[$k]} | ${cpu_s[$k]} | ${cpu_us[$k]} | ${stored_sum[$k]} |"
      done
    done
  else
    printf '%-12s %-18s %-10s %8s %24s %8s %7s %8s %7s\n' server address load "msg/s" "per round" messages "cpu s" "cpu µs/m" stored
    for m in "${modes[@]}"; do
      for l in "${labels[@]}"; do
        k="$l.$m"
        printf '%-12s %-18s %-10s %8s %24s %8s %7s %8s %7s\n' "$(name_of "$l")" "$(addr_of "$l")" "$m" \
          "${rate[$k]}" "${rates[$k]}" "${msgs[$k]}" "${cpu_s[$k]}" "${cpu_us[$k]}" "${stored_sum[$k]}"
      done
    done
  fi
}
latency_table() { # $1 = "text" or "md"
  local l v
  ((LAT_COUNT > 0)) || return 0
  if [ "$1" = md ]; then
    echo "| server | transactions | errors | median ms | p90 ms | p99 ms | min ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for l in "${labels[@]}"; do
      v=${lat[$l]}
      echo "| $(name_of "$l") | $(kv n "$v") | $(kv errors "$v") | $(kv median "$v") | $(kv p90 "$v") | $(kv p99 "$v") | $(kv min "$v") | $(kv max "$v") |"
    done
  else
    printf '%-12s %12s %6s %9s %8s %8s %8s %8s\n' server transactions errors "median" p90 p99 min max
    for l in "${labels[@]}"; do
      v=${lat[$l]}
      printf '%-12s %12s %6s %9s %8s %8s %8s %8s\n' "$(name_of "$l")" "$(kv n "$v")" "$(kv errors "$v")" \
        "$(kv median "$v")" "$(kv p90 "$v")" "$(kv p99 "$v")" "$(kv min "$v")" "$(kv max "$v")"
    done
  fi
}
lat_verdict=""
if ((run_ours && LAT_COUNT > 0)); then
  lat_verdict=$(awk -v m="$(kv median "${lat[ours]}")" 'BEGIN { print (m < 1) ? "meets the target (< 1 ms median)" : "above the target (< 1 ms median)" }')
  if ((run_sink)); then
    lat_verdict+="; ours/smtp-sink $(awk -v a="$(kv median "${lat[ours]}")" -v b="$(kv median "${lat[sink]}")" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }') the time"
  fi
fi
e2e_line="" e2e_verdict=""
if [ -n "$e2e_out" ]; then
  e2e_line="$(kv delivered "$e2e_out") of $(kv sent "$e2e_out") messages delivered ($(kv missing "$e2e_out") missing) in $(kv seconds "$e2e_out") s: median $(kv median "$e2e_out") ms, p99 $(kv p99 "$e2e_out") ms, max $(kv max "$e2e_out") ms (by file mtime: median $(kv mtime_median "$e2e_out") ms, p99 $(kv mtime_p99 "$e2e_out") ms); submission accepted (MAIL..250 after DATA): median $(kv accept_median "$e2e_out") ms, p99 $(kv accept_p99 "$e2e_out") ms"
  e2e_verdict=$(awk -v m="$(kv median "$e2e_out")" 'BEGIN { print (m < 10) ? "meets the target (< 10 ms median)" : "above the target (< 10 ms median)" }')
fi

source_cmd="smtp-source [-d] -s $SESSIONS -l $MSG_SIZE -m N -f alice@alpha.test -t bob@beta.test ADDR:PORT"
echo
echo "SMTP benchmark: $MSG_SIZE-byte messages alice@alpha.test -> bob@beta.test, $ROUNDS round(s) per server and load"
echo "smtp-source: $source_cmd (N = $MESSAGES for ours, $REF_MESSAGES for the references; -d = persistent sessions)"
echo "pinned: servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU"
throughput_table text
for x in "${ratios[@]}"; do echo "ratio $x"; done
[ -n "$verdict" ] && echo "throughput: $verdict"
[ -n "$mailbox_line" ] && echo "$mailbox_line"
if ((LAT_COUNT > 0)); then
  echo
  echo "one SMTP transaction (connect..QUIT, smtplib, $MSG_SIZE-byte message), $LAT_COUNT in sequence:"
  latency_table text
  [ -n "$lat_verdict" ] && echo "transaction latency (ours): $lat_verdict"
fi
if [ -n "$e2e_line" ]; then
  echo
  echo "end to end, submission (smtp.alpha.test, STARTTLS+AUTH) -> relay -> MX -> bob's Maildir new/:"
  echo "  $e2e_line — $e2e_verdict"
fi
[ -n "$fsync_median" ] && echo "one durable $MSG_SIZE-byte Maildir write (write, fsync, rename, fsync dir), serial: median $fsync_median ms, p99 $fsync_p99 ms"
echo "load average: before $load_before, after $load_after"

if [ "$RECORD" = 1 ]; then
  results=bench/RESULTS.md
  start_results "$results"
  {
    results_preamble "SMTP: messages per second accepted by the MX"
    echo "- load: \`$source_cmd\` (postfix $sink_version), N = $MESSAGES (ours) / $REF_MESSAGES (references) per run, $ROUNDS rounds (servers alternate), median round reported; servers pinned to CPU $SERVER_CPU, smtp-source to CPU $CLIENT_CPU"
    echo "- servers: mailflow MX mx.beta.test (checks the recipient, stores every message durably in bob's Maildir); \`${sink_cmd[*]:-smtp-sink}\` (stores nothing); aiosmtpd $aio_version \`${aio_cmd[*]:-}\` (discards)"
    echo "- load average (1/5/15 min): before $load_before, after $load_after"
    echo
    throughput_table md
    echo
    for x in "${ratios[@]}"; do echo "- ratio $x"; done
    [ -n "$verdict" ] && echo "- throughput: **$verdict**"
    [ -n "$mailbox_line" ] && echo "- $mailbox_line"
    if ((LAT_COUNT > 0)); then
      echo
      echo "One SMTP transaction (connect, EHLO, MAIL, RCPT, DATA, QUIT; Python smtplib, $MSG_SIZE-byte message), $LAT_COUNT in sequence, client on CPU $CLIENT_CPU:"
      echo
      latency_table md
      [ -n "$lat_verdict" ] && { echo; echo "transaction latency (ours): **$lat_verdict**"; }
    fi
    if [ -n "$e2e_line" ]; then
      echo
      echo "End to end (smtplib, one session to smtp.alpha.test's submission port with STARTTLS and AUTH, one message at a time, polling bob's new/): $e2e_line — **$e2e_verdict**"
    fi
    if [ -n "$fsync_median" ]; then
      echo
      echo "One durable $MSG_SIZE-byte Maildir write on this disk (write, fsync, rename, fsync directory; $FSYNC_COUNT in sequence): median $fsync_median ms, p99 $fsync_p99 ms."
    fi
  } >>"$results"
  log "appended the results to $results"
fi
