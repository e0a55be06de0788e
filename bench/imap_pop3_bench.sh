#!/usr/bin/env bash
# IMAP and POP3 benchmark: mailflow's mail.beta.test beside Dovecot (Debian's dovecot-imapd
# and dovecot-pop3d, a private instance per configuration), same run, same client
# (bench/imap_pop3_client.py), same messages:
#   - IMAP logins per second: new connection, implicit TLS (993), LOGIN, LOGOUT;
#   - SELECT INBOX and FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE) over MESSAGES (10,000) messages;
#   - UID FETCH u BODY[] of FETCH_COUNT (1,000) messages, one command at a time;
#   - POP3 (995, implicit TLS): RETR of RETR_COUNT (1,000) messages in one session, serially.
#
#   bench/imap_pop3_bench.sh                  # full run (installs dovecot, builds Release)
#   ROUNDS=5 bench/imap_pop3_bench.sh         # rounds, servers alternating (default 3)
#   MESSAGES=500 FETCH_COUNT=200 RETR_COUNT=200 LOGIN_COUNT=200 bench/imap_pop3_bench.sh  # quick
#   BENCH_ONLY=dovecot,dovecot-reuse bench/imap_pop3_bench.sh  # only these (ours, dovecot, dovecot-hp, dovecot-reuse)
#   RECORD=0 bench/imap_pop3_bench.sh         # do not append to the results file
#   MAILFLOW=path/to/mailflow bench/imap_pop3_bench.sh  # use this binary, skip the build
#   QUICKACK=1 bench/imap_pop3_bench.sh       # diagnostic: client sets TCP_QUICKACK after each handshake
#   RESULTS=other.md bench/imap_pop3_bench.sh  # where to append (default bench/RESULTS.md)
#
# Dovecot runs in three configurations, each its own `dovecot -F -c CONFIG` with its own
# copy of the Maildir: "dovecot" (Debian's defaults: a new imap-login/pop3-login process
# and a new imap/pop3 process per connection), "dovecot-hp" (the login processes'
# high-performance mode: service_count = 0, process_min_avail = 1) and "dovecot-reuse"
# (dovecot-hp plus imap/pop3 processes reused: service_count = 0, process_min_avail = 1).
# Servers are pinned to SERVER_CPU (1), clients to CLIENT_CPU (0). Targets (issue 4): logins
# faster than tuned Dovecot; every FETCH/RETR workload within 2x of Dovecot's time. They are
# reported, not enforced: the script exits non-zero only if the benchmark could not run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

BENCH_NAME=imap_pop3_bench
# shellcheck source=bench/lib.sh
source bench/lib.sh
settings=(BENCH_ONLY ROUNDS MESSAGES FETCH_COUNT RETR_COUNT LOGIN_COUNT LOGIN_PROCS LOGIN_SECONDS
  SERVER_CPU CLIENT_CPU DOVECOT_ADDRS DOVECOT_IMAPS_PORT DOVECOT_POP3S_PORT SEED QUICKACK MAILFLOW RESULTS)
# settings given in the environment, for the command line recorded with the results
capture_settings "${settings[@]}"

ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-10000}
FETCH_COUNT=${FETCH_COUNT:-1000}    # UID FETCH u BODY[] commands per run
RETR_COUNT=${RETR_COUNT:-1000}      # POP3 RETR commands per run
LOGIN_COUNT=${LOGIN_COUNT:-1000}    # logins per run (per client-process count)
LOGIN_PROCS=${LOGIN_PROCS:-1 4}     # client processes in parallel for the login runs, one run each
LOGIN_SECONDS=${LOGIN_SECONDS:-30}  # a login run stops starting logins after this long
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
# the addresses of the three Dovecot instances (default, hp, reuse)
DOVECOT_ADDRS=${DOVECOT_ADDRS:-127.10.9.143 127.10.9.144 127.10.9.145}
DOVECOT_IMAPS_PORT=${DOVECOT_IMAPS_PORT:-10993}
DOVECOT_POP3S_PORT=${DOVECOT_POP3S_PORT:-10995}
SEED=${SEED:-1}
QUICKACK=${QUICKACK:-0}             # 1: the client sets TCP_QUICKACK after each handshake (a diagnostic)
BENCH_ONLY=${BENCH_ONLY:-}
RECORD=${RECORD:-1}
RESULTS=${RESULTS:-bench/RESULTS.md}
READY_TIMEOUT=${READY_TIMEOUT:-30}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}     # seconds one client run may take
PY=/usr/bin/python3
CLIENT=bench/imap_pop3_client.py

require_integers 1 ROUNDS MESSAGES FETCH_COUNT RETR_COUNT LOGIN_COUNT LOGIN_SECONDS READY_TIMEOUT RUN_TIMEOUT DOVECOT_IMAPS_PORT DOVECOT_POP3S_PORT SEED
[[ $QUICKACK =~ ^[01]$ ]] || { echo "$BENCH_NAME: QUICKACK must be 0 or 1 (got '$QUICKACK')" >&2; exit 2; }
for v in SERVER_CPU CLIENT_CPU; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$BENCH_NAME: $v must be a non-negative integer (got '${!v}')" >&2; exit 2; }
  ((${!v} < $(nproc))) || { echo "$BENCH_NAME: $v=${!v}, but this machine has $(nproc) CPUs" >&2; exit 2; }
done
read -r -a login_procs <<<"$LOGIN_PROCS"
for p in "${login_procs[@]}"; do
  [[ $p =~ ^[1-9][0-9]?$ ]] || { echo "$BENCH_NAME: LOGIN_PROCS is a list of client process counts 1-99 (got '$LOGIN_PROCS')" >&2; exit 2; }
done
((FETCH_COUNT <= MESSAGES && RETR_COUNT <= MESSAGES)) || { echo "$BENCH_NAME: FETCH_COUNT and RETR_COUNT must not exceed MESSAGES" >&2; exit 2; }
read -r -a dovecot_addrs <<<"$DOVECOT_ADDRS"
((${#dovecot_addrs[@]} == 3)) || { echo "$BENCH_NAME: DOVECOT_ADDRS needs three addresses (default, hp, reuse)" >&2; exit 2; }
for a in "${dovecot_addrs[@]}"; do
  [[ $a =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "$BENCH_NAME: DOVECOT_ADDRS must be loopback addresses (got '$a')" >&2; exit 2; }
done

all_labels=(ours dovecot dovecot-hp dovecot-reuse)
declare -A run
for l in "${all_labels[@]}"; do run[$l]=1; done
if [ -n "$BENCH_ONLY" ]; then
  for l in "${all_labels[@]}"; do run[$l]=0; done
  IFS=, read -r -a only <<<"$BENCH_ONLY"
  for o in "${only[@]}"; do
    case $o in
      ours | dovecot | dovecot-hp | dovecot-reuse) run[$o]=1 ;;
      *) echo "$BENCH_NAME: BENCH_ONLY is a comma-separated list of ours, dovecot, dovecot-hp, dovecot-reuse (got '$BENCH_ONLY')" >&2; exit 2 ;;
    esac
  done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailflow-imap-pop3-bench.XXXXXX")
# Dovecot's processes drop privileges (dovenull, dovecot, nobody) and must reach their
# directories inside it.
chmod 755 "$tmp"
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
[ -x /usr/sbin/dovecot ] || die "/usr/sbin/dovecot not installed (dovecot-core)"
for p in /usr/lib/dovecot/imap /usr/lib/dovecot/pop3; do [ -x "$p" ] || die "$p not installed (dovecot-imapd, dovecot-pop3d)"; done
command -v taskset >/dev/null || die "taskset not installed (util-linux)"
command -v openssl >/dev/null || die "openssl not installed"
[ -x "$PY" ] || die "$PY not installed"
id dovenull >/dev/null 2>&1 && id dovecot >/dev/null 2>&1 || die "the users dovecot and dovenull are missing (dovecot-core creates them)"

build_mailflow "${run[ours]}"

# ---------------------------------------------------------------- helpers
# is_exe PID PATH: true once PID runs PATH (after taskset's exec).
is_exe() {
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(readlink -f "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ] && return 0
    sleep 0.02
  done
  return 1
}
# tree_ticks PID: user+system CPU ticks of PID and all its descendants, including the
# children they have reaped (Dovecot forks a process per connection in its default setup).
tree_ticks() {
  "$PY" - "$1" <<'EOF'
import os, sys
root = int(sys.argv[1])
kids, ticks = {}, {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            s = f.read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    pid, ppid = int(d), int(f[1])
    kids.setdefault(ppid, []).append(pid)
    ticks[pid] = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])  # utime stime cutime cstime
total, todo = 0, [root]
while todo:
    p = todo.pop()
    total += ticks.get(p, 0)
    todo += kids.get(p, [])
print(total)
EOF
}
clk_tck=$(getconf CLK_TCK)
# kv KEY LINE: the value of KEY in a "key=value key=value" line.
kv() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { n = index($i, "="); if (substr($i, 1, n - 1) == k) { print substr($i, n + 1); exit } } }' <<<"$2"; }
# listening ADDR PORT: true if something accepts TCP connections there.
listening() {
  "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------- the messages
fixture=$tmp/fixture
mkdir -p "$fixture"
log "writing $MESSAGES messages (seed $SEED) into $fixture/Maildir"
pop_out=$("$PY" "$CLIENT" populate "$fixture/Maildir" "$MESSAGES" --seed "$SEED" \
  --seen-through "$((FETCH_COUNT > RETR_COUNT ? FETCH_COUNT : RETR_COUNT))" \
  --digests "$FETCH_COUNT,$RETR_COUNT" --dovecot-uidlist "$fixture/dovecot-uidlist") || die "populate failed"
fixture_bytes=$(kv bytes "$pop_out")
want_fetch_digest=$(kv "digest_$FETCH_COUNT" "$pop_out")
want_retr_digest=$(kv "digest_$RETR_COUNT" "$pop_out")
log "fixture: $pop_out"

# ---------------------------------------------------------------- our server
declare -A host_of imaps_of pop3s_of cafile_of name_of_tls pid_of
if ((run[ours])); then
  # bob's Maildir in the default world: state/mail/beta.test/bob (README, sim/maildir_store.hpp);
  # put the messages there before the server starts (it numbers unknown files in
  # file-name order at its first scan, so message i is UID i, as for Dovecot).
  mkdir -p "$tmp/state/mail/beta.test/bob"
  cp -a "$fixture/Maildir/." "$tmp/state/mail/beta.test/bob/"
  log "starting ours (CPU $SERVER_CPU): $mailflow serve"
  taskset -c "$SERVER_CPU" "$mailflow" serve --state-dir "$tmp/state" --ready-file "$tmp/ready.json" --no-trace --no-control \
    >"$tmp/ours.log" 2>&1 &
  pids+=($!)
  pid_of[ours]=$!
  is_exe "${pid_of[ours]}" "$mailflow" || die "pid ${pid_of[ours]} is not $mailflow"
  ready_mail() {
    "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
hosts = {h["name"]: h for h in d["hosts"]}
users = {u["address"]: u for u in d["users"]}
mail, bob = hosts["mail.beta.test"], users["bob@beta.test"]
p = mail["ports"]
print(mail["address"], int(p["pop3s"]), int(p.get("imaps", 0)), d["ca_file"], bob["maildir"], bob["login"], bob["password"])' "$tmp/ready.json" 2>/dev/null
  }
  ready=""
  for ((i = 0; i < READY_TIMEOUT * 10; i++)); do
    if [ -s "$tmp/ready.json" ] && ready=$(ready_mail); then break; fi
    ready=""
    kill -0 "${pid_of[ours]}" 2>/dev/null || { cat "$tmp/ours.log" >&2; die "mailflow serve exited early"; }
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$tmp/ours.log" >&2; die "no usable ready file ($tmp/ready.json) after ${READY_TIMEOUT}s (needs mail.beta.test with pop3s)"; }
  read -r ours_addr ours_pop3s ours_imaps ours_ca bob_maildir bob_login bob_password <<<"$ready"
  [ "$(readlink -f "$bob_maildir")" = "$(readlink -f "$tmp/state/mail/beta.test/bob")" ] \
    || die "bob's Maildir is $bob_maildir, not $tmp/state/mail/beta.test/bob where the messages are"
  [ "$bob_login" = bob@beta.test ] && [ "$bob_password" = bob-secret ] || die "bob's login is not bob@beta.test/bob-secret"
  host_of[ours]=$ours_addr pop3s_of[ours]=$ours_pop3s imaps_of[ours]=$ours_imaps cafile_of[ours]=$ours_ca name_of_tls[ours]=mail.beta.test
  if ((ours_imaps == 0)); then
    log "warning: mail.beta.test lists no imaps port in the ready file (this mailflow serves no IMAP yet): our IMAP parts are skipped"
  fi
  log "ours: mail.beta.test at $ours_addr, pop3s $ours_pop3s, imaps ${ours_imaps/#0/none}"
fi

# ---------------------------------------------------------------- Dovecot
dovecot_version=$(dpkg-query -W -f='${Version}' dovecot-core 2>/dev/null || echo unknown)
dovecot_modes=(dovecot dovecot-hp dovecot-reuse)
if ((run[dovecot] || run[dovecot-hp] || run[dovecot-reuse])); then
  # one self-signed EC P-256 certificate (the key type of the lab CA's host certificates)
  # naming every instance's address
  san="DNS:mail.dovecot.bench.test"
  for a in "${dovecot_addrs[@]}"; do san+=",IP:$a"; done
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=mail.dovecot.bench.test -addext "subjectAltName=$san" \
    -keyout "$tmp/dovecot-key.pem" -out "$tmp/dovecot-cert.pem" 2>"$tmp/openssl.log" \
    || { cat "$tmp/openssl.log" >&2; die "openssl could not make Dovecot's certificate"; }
  chmod 644 "$tmp/dovecot-key.pem" "$tmp/dovecot-cert.pem"
  # the same user and password as the lab's bob; the plaintext scheme keeps password
  # checking as cheap as it can be
  echo 'bob@beta.test:{PLAIN}bob-secret::::::' >"$tmp/dovecot-passwd"
  chmod 644 "$tmp/dovecot-passwd"
fi
# dovecot_conf MODE ADDR DIR: the config file of one instance, on stdout.
dovecot_conf() {
  local mode=$1 addr=$2 d=$3
  cat <<EOF
# Written by bench/imap_pop3_bench.sh ($mode). Only this file is read (no includes).
protocols = imap pop3
listen = $addr
base_dir = $d/run
state_dir = $d/state
instance_name = mailflow-bench-$mode
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
ssl = yes
ssl_cert = <$tmp/dovecot-cert.pem
ssl_key = <$tmp/dovecot-key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $tmp/dovecot-passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home
}
mail_location = maildir:$d/home/Maildir
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = $addr
    port = $DOVECOT_IMAPS_PORT
    ssl = yes
  }
EOF
  if [ "$mode" != dovecot ]; then
    echo "  service_count = 0"
    echo "  process_min_avail = 1"
  fi
  cat <<EOF
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    address = $addr
    port = $DOVECOT_POP3S_PORT
    ssl = yes
  }
EOF
  if [ "$mode" != dovecot ]; then
    echo "  service_count = 0"
    echo "  process_min_avail = 1"
  fi
  echo "}"
  if [ "$mode" = dovecot-reuse ]; then
    printf 'service imap {\n  service_count = 0\n  process_min_avail = 1\n}\n'
    printf 'service pop3 {\n  service_count = 0\n  process_min_avail = 1\n}\n'
  fi
}
# probe LABEL: one IMAP login (or, without IMAP, one POP3 session of 1 RETR); true if it worked.
client_args() { # LABEL PROTO: the client's address arguments
  local port
  if [ "$2" = imap ]; then port=${imaps_of[$1]}; else port=${pop3s_of[$1]}; fi
  echo "${host_of[$1]} $port --tls --cafile ${cafile_of[$1]} --servername ${name_of_tls[$1]}$( ((QUICKACK)) && echo " --quickack")"
}
has_imap() { [ "${imaps_of[$1]:-0}" != 0 ]; }

for idx in 0 1 2; do
  mode=${dovecot_modes[$idx]}
  ((run[$mode])) || continue
  addr=${dovecot_addrs[$idx]}
  d=$tmp/$mode
  mkdir -p "$d/home"
  cp -a "$fixture/Maildir" "$d/home/Maildir"
  cp "$fixture/dovecot-uidlist" "$d/home/Maildir/dovecot-uidlist"
  chown -R nobody:nogroup "$d/home"
  dovecot_conf "$mode" "$addr" "$d" >"$d/dovecot.conf"
  for port in "$DOVECOT_IMAPS_PORT" "$DOVECOT_POP3S_PORT"; do
    listening "$addr" "$port" && die "something already listens at $addr:$port; set DOVECOT_ADDRS"
  done
  log "starting $mode (Dovecot $dovecot_version, CPU $SERVER_CPU): /usr/sbin/dovecot -F -c $d/dovecot.conf"
  taskset -c "$SERVER_CPU" /usr/sbin/dovecot -F -c "$d/dovecot.conf" >"$d/stdout.log" 2>&1 &
  pids+=($!)
  pid_of[$mode]=$!
  is_exe "${pid_of[$mode]}" /usr/sbin/dovecot || die "pid ${pid_of[$mode]} is not /usr/sbin/dovecot"
  host_of[$mode]=$addr imaps_of[$mode]=$DOVECOT_IMAPS_PORT pop3s_of[$mode]=$DOVECOT_POP3S_PORT
  cafile_of[$mode]=$tmp/dovecot-cert.pem name_of_tls[$mode]=mail.dovecot.bench.test
done

labels=()
for l in "${all_labels[@]}"; do
  if ((run[$l])); then labels+=("$l"); fi
done
((${#labels[@]})) || die "nothing to run"
name_of() { case $1 in ours) echo "mailflow" ;; dovecot) echo "Dovecot default" ;; dovecot-hp) echo "Dovecot login hp" ;; dovecot-reuse) echo "Dovecot hp+reuse" ;; esac; }

# Wait until every server answers a real session (bounded).
for l in "${labels[@]}"; do
  ok=0
  for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
    kill -0 "${pid_of[$l]}" 2>/dev/null || break
    # shellcheck disable=SC2046
    if "$PY" "$CLIENT" probe $(client_args "$l" pop3) --proto pop3 --timeout 5 >/dev/null 2>&1 &&
      { ! has_imap "$l" || "$PY" "$CLIENT" probe $(client_args "$l" imap) --proto imap --timeout 5 >/dev/null 2>&1; }; then
      ok=1
      break
    fi
    sleep 0.2
  done
  if ((!ok)); then
    [ "$l" = ours ] && cat "$tmp/ours.log" >&2
    [ "$l" != ours ] && cat "$tmp/$l/stdout.log" "$tmp/$l/dovecot.log" >&2 2>/dev/null
    die "$(name_of "$l") does not greet on POP3S at $(client_args "$l" pop3 | cut -d' ' -f1,2)$(has_imap "$l" && echo " or IMAPS at $(client_args "$l" imap | cut -d' ' -f1,2)")"
  fi
done
log "all servers answer"

# ---------------------------------------------------------------- runs
# run_client LABEL NAME ROUND SUBCOMMAND PROTO ARGS...: one client run pinned to CLIENT_CPU;
# the result line goes to $tmp/res/LABEL.NAME.ROUND, with the server's CPU ticks appended.
mkdir -p "$tmp/res"
run_client() {
  local label=$1 name=$2 round=$3 sub=$4 proto=$5 rc=0 before after base
  shift 5
  base=$tmp/res/$label.$name.$round
  # shellcheck disable=SC2207 # client_args prints words without spaces in them
  local -a cmd=("$PY" "$CLIENT" "$sub" $(client_args "$label" "$proto") "$@")
  log "round $round/$ROUNDS, $(name_of "$label"), $name: ${cmd[*]:2}"
  before=$(tree_ticks "${pid_of[$label]}")
  timeout -k 5 "$RUN_TIMEOUT" taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$base.out" 2>"$base.err" &
  client_pid=$!
  wait "$client_pid" || rc=$?
  client_pid=""
  after=$(tree_ticks "${pid_of[$label]}")
  kill -0 "${pid_of[$label]}" 2>/dev/null || die "$(name_of "$label") died during the run"
  ((rc != 124)) || die "the client against $label ($name) did not finish in ${RUN_TIMEOUT}s (RUN_TIMEOUT)"
  ((rc == 0)) || { cat "$base.err" >&2; die "the client against $label ($name) failed (exit $rc)"; }
  [ -s "$base.err" ] && log "  $(name_of "$label"): $(head -c 300 "$base.err")"
  echo "$(tail -n 1 "$base.out") server_ticks=$((after - before))" >"$base"
  log "  $(cat "$base")"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Warm-up, reported as the cold figure: the first SELECT + FETCH after the server started
# (Dovecot builds its index and cache files, we scan the Maildir and write the UID list).
# Its responses are kept to compare the servers' answers.
for l in "${labels[@]}"; do
  has_imap "$l" || continue
  run_client "$l" cold 1 imap-fetch imap --rounds 1 --dump "$tmp/res/$l.fetch-dump"
done

workloads=()
for p in "${login_procs[@]}"; do workloads+=("login$p"); done
workloads+=(fetchall uidfetch retr)
for ((r = 1; r <= ROUNDS; r++)); do
  for l in "${labels[@]}"; do
    if has_imap "$l"; then
      for p in "${login_procs[@]}"; do
        run_client "$l" "login$p" "$r" imap-login imap --count "$LOGIN_COUNT" --procs "$p" --seconds "$LOGIN_SECONDS"
      done
      run_client "$l" fetchall "$r" imap-fetch imap --rounds 1
      run_client "$l" uidfetch "$r" imap-uid-fetch imap --count "$FETCH_COUNT"
    fi
    run_client "$l" retr "$r" pop3-retr pop3 --count "$RETR_COUNT"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m }'; }
# file_of WORKLOAD: the run whose result holds it (select and fetch are parts of fetchall)
file_of() { case $1 in select | fetch) echo fetchall ;; *) echo "$1" ;; esac; }
# figure LABEL WORKLOAD ROUND: the round's main figure (logins/s; ms for the others)
figure() {
  local f line
  f=$tmp/res/$1.$(file_of "$2").$3
  [ -f "$f" ] || { echo ""; return; }
  line=$(cat "$f")
  case $2 in
    login*) awk -v v="$(kv rate "$line")" 'BEGIN { printf "%.1f", v }' ;;
    select) awk -v v="$(kv select_ms "$line")" 'BEGIN { printf "%.1f", v }' ;;
    fetch) awk -v v="$(kv fetch_ms "$line")" 'BEGIN { printf "%.1f", v }' ;;
    fetchall | cold) awk -v s="$(kv select_ms "$line")" -v f="$(kv fetch_ms "$line")" 'BEGIN { printf "%.1f", s + f }' ;;
    uidfetch | retr) awk -v s="$(kv seconds "$line")" 'BEGIN { printf "%.1f", s * 1000 }' ;;
  esac
}
ops_of() { # LABEL WORKLOAD ROUND: operations in the run (logins, messages fetched, commands)
  local line
  line=$(cat "$tmp/res/$1.$(file_of "$2").$3")
  case $2 in
    login*) kv logins "$line" ;;
    select | fetch | fetchall | cold) kv fetched "$line" ;;
    *) kv commands "$line" ;;
  esac
}
report_workloads=()
for p in "${login_procs[@]}"; do report_workloads+=("login$p"); done
report_workloads+=(select fetch fetchall uidfetch retr cold)
declare -A med per_round cpu_per_op client_per_op errs checks
for l in "${labels[@]}"; do
  for w in "${report_workloads[@]}"; do
    [ -f "$tmp/res/$l.$(file_of "$w").1" ] || continue
    vals=() ops=0 ticks=0 ccpu=0 e=0
    n_rounds=$ROUNDS
    [ "$w" = cold ] && n_rounds=1
    for ((r = 1; r <= n_rounds; r++)); do
      vals+=("$(figure "$l" "$w" "$r")")
      line=$(cat "$tmp/res/$l.$(file_of "$w").$r")
      ops=$((ops + $(ops_of "$l" "$w" "$r")))
      ticks=$((ticks + $(kv server_ticks "$line")))
      ccpu=$(awk -v a="$ccpu" -v b="$(kv client_cpu "$line")" 'BEGIN { print a + b }')
      e=$((e + $(kv errors "$line")))
    done
    k="$l.$w"
    med[$k]=$(printf '%s\n' "${vals[@]}" | median)
    per_round[$k]=$(printf '%s\n' "${vals[@]}" | paste -sd, | sed 's/,/, /g')
    cpu_per_op[$k]=$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$ops" 'BEGIN { if (n > 0) printf "%.0f", 1e6 * t / hz / n; else print "n/a" }')
    client_per_op[$k]=$(awk -v c="$ccpu" -v n="$ops" 'BEGIN { if (n > 0) printf "%.0f", 1e6 * c / n; else print "n/a" }')
    errs[$k]=$e
    # CPU is measured per run (SELECT and FETCH together): only the fetchall row has it
    if [ "$w" = select ] || [ "$w" = fetch ]; then cpu_per_op[$k]="—" client_per_op[$k]="—" errs[$k]="—"; fi
  done
done

# Checks of the answers: bodies against the fixture, FETCH responses against Dovecot's.
ref_label=""
for l in dovecot-reuse dovecot-hp dovecot; do
  if ((run[$l])); then ref_label=$l; break; fi
done
for l in "${labels[@]}"; do
  if has_imap "$l"; then
    got=$(kv digest "$(cat "$tmp/res/$l.uidfetch.1")")
    [ "$got" = "$want_fetch_digest" ] && c="BODY[] bytes identical to the message files" || c="BODY[] bytes DIFFER from the message files (digest $got, want $want_fetch_digest)"
    if [ -n "$ref_label" ] && [ "$l" != "$ref_label" ] && [ -f "$tmp/res/$ref_label.fetch-dump" ] && [ -f "$tmp/res/$l.fetch-dump" ]; then
      ndiff=$(diff "$tmp/res/$ref_label.fetch-dump" "$tmp/res/$l.fetch-dump" | grep -c '^>' || true)
      if [ "$ndiff" = 0 ]; then
        c+="; FETCH (FLAGS ENVELOPE RFC822.SIZE) answers equal to $(name_of "$ref_label")'s for all $MESSAGES messages"
      else
        c+="; FETCH (FLAGS ENVELOPE RFC822.SIZE) answers differ from $(name_of "$ref_label")'s for $ndiff of $MESSAGES messages"
        first=$(diff "$tmp/res/$ref_label.fetch-dump" "$tmp/res/$l.fetch-dump" | grep -m2 '^[<>]' | cut -c1-600 | paste -sd'|' || true)
        c+=" (first: $first)"
      fi
    fi
  else
    c="no IMAP"
  fi
  got=$(kv digest "$(cat "$tmp/res/$l.retr.1")")
  [ "$got" = "$want_retr_digest" ] && c+="; RETR bytes identical to the message files" || c+="; RETR bytes DIFFER from the message files (digest $got, want $want_retr_digest)"
  checks[$l]=$c
done

wl_name() {
  case $1 in
    login*) echo "IMAP logins/s, ${1#login} client process(es) (TLS, LOGIN, LOGOUT)" ;;
    cold) echo "first SELECT + FETCH 1:* after start, ms (cold)" ;;
    select) echo "  of which SELECT INBOX, ms" ;;
    fetch) echo "  of which FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE), ms" ;;
    fetchall) echo "SELECT INBOX + FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE), ms" ;;
    uidfetch) echo "$FETCH_COUNT × UID FETCH u BODY[], ms" ;;
    retr) echo "POP3: $RETR_COUNT × RETR, ms" ;;
  esac
}
unit_of() { case $1 in login*) echo "login" ;; select | fetch | fetchall | cold) echo "message" ;; *) echo "command" ;; esac; }
# Dovecot's best figure per workload (highest logins/s, lowest time) and which config
best_dovecot() {
  local w=$1 l best="" bl=""
  for l in dovecot dovecot-hp dovecot-reuse; do
    ((run[$l])) || continue
    v=${med[$l.$w]:-}
    [ -n "$v" ] || continue
    if [ -z "$best" ] || case $w in login*) awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }' ;; *) awk -v a="$v" -v b="$best" 'BEGIN { exit !(a < b) }' ;; esac; then
      best=$v bl=$l
    fi
  done
  echo "$best $bl"
}
verdicts=()
if ((run[ours])); then
  for w in "${workloads[@]}"; do
    o=${med[ours.$w]:-}
    read -r b bl <<<"$(best_dovecot "$w")"
    [ -n "$o" ] && [ -n "${b:-}" ] || continue
    case $w in
      login*)
        ratio=$(awk -v a="$o" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        ok=$(awk -v a="$o" -v b="$b" 'BEGIN { print (a > b) ? "meets the target (faster than tuned Dovecot)" : "below the target (faster than tuned Dovecot)" }')
        verdicts+=("$(wl_name "$w"): ours $o/s, $(name_of "$bl") $b/s (the best Dovecot here): ours/Dovecot ${ratio}× — $ok")
        ;;
      *)
        ratio=$(awk -v a="$o" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        ok=$(awk -v r="$ratio" 'BEGIN { print (r <= 2) ? "meets the target (within 2x of Dovecot)" : "above the target (within 2x of Dovecot)" }')
        verdicts+=("$(wl_name "$w"): ours $o ms, $(name_of "$bl") $b ms (the fastest Dovecot here): ours takes ${ratio}× the time — $ok")
        ;;
    esac
  done
fi

table() { # $1 = text or md
  local w l k
  if [ "$1" = md ]; then
    echo "| workload | server | median | per round | server CPU µs per op | client CPU µs per op | errors |"
    echo "|---|---|---:|---|---:|---:|---:|"
  else
    printf '%-64s %-17s %9s %30s %9s %9s %6s\n' workload server median "per round" "srv µs/op" "cli µs/op" errors
  fi
  for w in "${report_workloads[@]}"; do
    for l in "${labels[@]}"; do
      k="$l.$w"
      [ -n "${med[$k]:-}" ] || continue
      if [ "$1" = md ]; then
        echo "| $(wl_name "$w") | $(name_of "$l") | ${med[$k]} | ${per_round[$k]} | ${cpu_per_op[$k]}$([ "${cpu_per_op[$k]}" = "—" ] || echo " per $(unit_of "$w")") | ${client_per_op[$k]} | ${errs[$k]} |"
      else
        printf '%-64s %-17s %9s %30s %9s %9s %6s\n' "$(wl_name "$w")" "$(name_of "$l")" "${med[$k]}" "${per_round[$k]}" "${cpu_per_op[$k]}" "${client_per_op[$k]}" "${errs[$k]}"
      fi
    done
  done
}
ciphers=""
for l in "${labels[@]}"; do
  ciphers+="$(name_of "$l"): $(kv cipher "$(cat "$tmp/res/$l.retr.1")"); "
done
ciphers=${ciphers%; }

echo
echo "IMAP/POP3 benchmark: $MESSAGES messages ($fixture_bytes bytes) in bob's INBOX, $ROUNDS round(s), servers alternating"
echo "client: $CLIENT (Python $("$PY" -c 'import platform; print(platform.python_version())'), serial commands$( ((QUICKACK)) && echo ", TCP_QUICKACK after each handshake")); servers on CPU $SERVER_CPU, client on CPU $CLIENT_CPU; implicit TLS (IMAPS, POP3S)"
table text
echo
for v in "${verdicts[@]}"; do echo "target: $v"; done
for l in "${labels[@]}"; do echo "check $(name_of "$l"): ${checks[$l]}"; done
echo "TLS: $ciphers"
echo "load average: before $load_before, after $load_after"

if [ "$RECORD" = 1 ]; then
  start_results "$RESULTS"
  {
    results_preamble "IMAP and POP3: logins, FETCH, RETR"
    echo "- mailbox: $MESSAGES messages, $fixture_bytes bytes (seed $SEED), the same files in every server's Maildir; client \`$CLIENT\` (one connection at a time unless stated, each command waits for its reply$( ((QUICKACK)) && echo "; TCP_QUICKACK set after each TLS handshake, a diagnostic")), implicit TLS on both (993/995), servers pinned to CPU $SERVER_CPU, client to CPU $CLIENT_CPU; $ROUNDS rounds, servers alternating, median round reported"
    echo "- servers: mailflow mail.beta.test; Dovecot $dovecot_version: \"default\" (Debian's service settings), \"login hp\" (imap-login/pop3-login service_count = 0, process_min_avail = 1), \"hp+reuse\" (also imap/pop3 service_count = 0, process_min_avail = 1)"
    echo "- TLS: $ciphers"
    echo "- load average (1/5/15 min): before $load_before, after $load_after"
    echo
    table md
    echo
    for v in "${verdicts[@]}"; do echo "- target: **$v**"; done
    for l in "${labels[@]}"; do echo "- check $(name_of "$l"): ${checks[$l]}"; done
  } >>"$RESULTS"
  log "appended the results to $RESULTS"
fi
