#!/usr/bin/env bash
# DNS benchmark: MX queries per second, mailflow's DNS server vs NSD, same run.
#
#   bench/dns_bench.sh                    # full run (installs dnsperf+nsd, builds Release)
#   DURATION=30 bench/dns_bench.sh        # longer dnsperf runs (default 15 s each)
#   ROUNDS=5 bench/dns_bench.sh           # rounds of (ours, NSD) runs (default 3)
#   BENCH_ONLY=nsd bench/dns_bench.sh     # reference only (skips the build and our server)
#   BENCH_ONLY=ours bench/dns_bench.sh    # our server only
#   RECORD=0 bench/dns_bench.sh           # do not append to bench/RESULTS.md
#   MAILFLOW=path/to/mailflow bench/dns_bench.sh   # use this binary, skip the build
#
# Both servers serve the default world's zones (alpha.test, beta.test) on
# loopback; dnsperf sends the same MX queries to each with the same settings.
# Exits non-zero only if the benchmark could not run; the ratio is reported,
# not enforced (target: ours >= 50% of NSD's qps with no lost queries).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

BENCH_NAME=dns_bench
# shellcheck source=bench/lib.sh
source bench/lib.sh
# settings given in the environment, for the command line recorded with the results
capture_settings BENCH_ONLY DURATION ROUNDS NSD_ADDR NSD_PORT DNSPERF_CLIENTS DNSPERF_THREADS DNSPERF_OUTSTANDING MAILFLOW

DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-3}
BENCH_ONLY=${BENCH_ONLY:-}
RECORD=${RECORD:-1}
NSD_ADDR=${NSD_ADDR:-127.10.0.54}
NSD_PORT=${NSD_PORT:-10054}
# dnsperf settings, identical for both servers (see bench/README.md for why).
DNSPERF_CLIENTS=${DNSPERF_CLIENTS:-1}
DNSPERF_THREADS=${DNSPERF_THREADS:-1}
DNSPERF_OUTSTANDING=${DNSPERF_OUTSTANDING:-100}
READY_TIMEOUT=${READY_TIMEOUT:-20}

case "$BENCH_ONLY" in
  "" | nsd | ours) ;;
  *) echo "dns_bench: BENCH_ONLY must be empty, 'nsd' or 'ours' (got '$BENCH_ONLY')" >&2; exit 2 ;;
esac
require_integers 1 DURATION ROUNDS DNSPERF_CLIENTS DNSPERF_THREADS DNSPERF_OUTSTANDING READY_TIMEOUT
run_ours=1; run_nsd=1
[ "$BENCH_ONLY" = nsd ] && run_ours=0
[ "$BENCH_ONLY" = ours ] && run_nsd=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mailflow-dns-bench.XXXXXX")
pids=()
dnsperf_pid=""

# our_nsd_pids: every nsd process (xfrd, main, servers) started with our config.
# nsd renames its processes ("nsd: main", "nsd: server 1"), so match the executable.
our_nsd_pids() {
  local pid
  for pid in $(pgrep nsd 2>/dev/null || true); do
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/nsd ] || continue
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$tmp/nsd.conf" && echo "$pid"
  done
  return 0
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in $dnsperf_pid "${pids[@]}"; do stop_pid "$pid"; done
  # nsd -d forks its main and server processes; they exit with the parent, but
  # make sure none that used our config outlive us.
  if [ -f "$tmp/nsd.conf" ]; then
    for pid in $(our_nsd_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- setup, build
log "installing packages (scripts/setup --bench)"
scripts/setup --bench >&2
command -v dnsperf >/dev/null || die "dnsperf not installed"
command -v dig >/dev/null || die "dig not installed"
if ((run_nsd)); then command -v nsd >/dev/null || die "nsd not installed"; fi

build_mailflow "$run_ours"

# ---------------------------------------------------------------- helpers
# answers ADDR PORT: true if a DNS server there answers beta.test MX with its MX.
# (dig +short prints errors such as "connection refused" on stdout, so match the answer.)
answers() {
  dig +short +tries=1 +time=1 @"$1" -p "$2" beta.test MX 2>/dev/null | grep -qx '10 mx\.beta\.test\.'
}
# wait_dns ADDR PORT: bounded wait (about 20 s) until the server answers beta.test MX.
wait_dns() {
  local addr=$1 port=$2 i
  for ((i = 0; i < 100; i++)); do
    if answers "$addr" "$port"; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# answer ADDR PORT NAME: the answer and additional sections of NAME MX, normalised.
answer() {
  dig +norec +nocmd +nostats +noquestion +nocomments +noauthority +tries=1 +time=2 \
    @"$1" -p "$2" "$3" MX 2>/dev/null | awk 'NF && $1 !~ /^;/ {print $1, $2, $4, $5, $6}' | sort
}

# cpu_ticks PID...: user+system CPU ticks used so far by these processes (all threads).
cpu_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    # field 2 (comm) may contain spaces ("nsd: server 1"): count fields after the ')'
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
descendants() { # PID: PID and all its descendants
  local child
  echo "$1"
  for child in $(pgrep -P "$1" 2>/dev/null || true); do descendants "$child"; done
}
server_pids() { # LABEL: the processes whose CPU time counts for that server
  if [ "$1" = ours ]; then
    descendants "$ours_pid"
  else
    our_nsd_pids
  fi
}
clk_tck=$(getconf CLK_TCK)

# run_dnsperf LABEL ROUND ADDR PORT: runs dnsperf, writes its output to $tmp/LABEL.ROUND.out
# and the server's CPU seconds during the run to $tmp/LABEL.ROUND.cpu.
run_dnsperf() {
  local label=$1 round=$2 addr=$3 port=$4 before after
  local -a spids
  read -r -a spids <<<"$(server_pids "$label" | tr '\n' ' ')"
  ((${#spids[@]})) || die "no $label server process to measure"
  local cmd=(dnsperf -s "$addr" -p "$port" -d "$tmp/queries.txt" -l "$DURATION"
    -c "$DNSPERF_CLIENTS" -T "$DNSPERF_THREADS" -q "$DNSPERF_OUTSTANDING")
  local out="$tmp/$label.$round.out"
  log "round $round/$ROUNDS, $label: ${cmd[*]}"
  before=$(cpu_ticks "${spids[@]}")
  # in the background, so that a signal's trap runs at once (and stops dnsperf too)
  "${cmd[@]}" >"$out" 2>&1 &
  dnsperf_pid=$!
  wait "$dnsperf_pid" || { cat "$out" >&2; die "dnsperf against $label failed"; }
  dnsperf_pid=""
  after=$(cpu_ticks "${spids[@]}")
  awk -v t=$((after - before)) -v hz="$clk_tck" 'BEGIN { printf "%.2f\n", t / hz }' >"$tmp/$label.$round.cpu"
  grep -q "Queries per second" "$out" || { cat "$out" >&2; die "no dnsperf statistics for $label"; }
}

# dnsperf_stat FILE FIELD: one number from dnsperf's statistics ("Queries sent" etc.).
dnsperf_stat() {
  awk -v f="$2:" 'index($0, f) { sub(".*" f "[ \t]*", ""); print $1; exit }' "$1"
}
# rcodes FILE...: the response codes of all these runs, summed ("NOERROR 1234 (100.00%)").
rcodes() {
  awk '/Response codes:/ {
         sub(".*Response codes:[ \t]*", ""); n = split($0, parts, ",")
         for (i = 1; i <= n; i++) { split(parts[i], f, " "); if (!(f[1] in c)) order[++k] = f[1]; c[f[1]] += f[2]; t += f[2] }
       }
       END { for (i = 1; i <= k; i++) printf "%s%s %d (%.2f%%)", (i > 1 ? ", " : ""), order[i], c[order[i]], 100 * c[order[i]] / t }' "$@"
}

# ---------------------------------------------------------------- query file
cat >"$tmp/queries.txt" <<'EOF'
beta.test MX
alpha.test MX
EOF

# ---------------------------------------------------------------- our server
ours_addr="" ours_port=""
if ((run_ours)); then
  log "starting ours: $mailflow serve"
  "$mailflow" serve --state-dir "$tmp/state" --ready-file "$tmp/ready.json" --no-trace --no-control \
    >"$tmp/ours.log" 2>&1 &
  pids+=($!)
  ours_pid=$!
  # The ready file appears once every listener is up; it may be caught half-written,
  # so wait until it parses.
  ready_dns() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["dns"]
print(d["address"], int(d["port"]))' "$tmp/ready.json" 2>/dev/null
  }
  ready=""
  for ((i = 0; i < READY_TIMEOUT * 10; i++)); do
    if [ -s "$tmp/ready.json" ] && ready=$(ready_dns); then break; fi
    ready=""
    kill -0 "$ours_pid" 2>/dev/null || { cat "$tmp/ours.log" >&2; die "mailflow serve exited early"; }
    sleep 0.1
  done
  [ -n "$ready" ] || { cat "$tmp/ours.log" >&2; die "no usable ready file ($tmp/ready.json) after ${READY_TIMEOUT}s"; }
  read -r ours_addr ours_port <<<"$ready"
  log "ours: DNS at $ours_addr:$ours_port"
  wait_dns "$ours_addr" "$ours_port" || die "our DNS server does not answer beta.test MX"
fi

# ---------------------------------------------------------------- NSD
if ((run_nsd)); then
  mkdir -p "$tmp/nsd/zones"
  for zone in alpha.test beta.test; do
    case $zone in
      alpha.test) net=1 ;;
      beta.test) net=2 ;;
    esac
    cat >"$tmp/nsd/zones/$zone.zone" <<EOF
\$ORIGIN $zone.
\$TTL 300
@      IN SOA ns.lab.test. hostmaster.$zone. ( 1 3600 600 86400 60 )
@      IN NS  ns.lab.test.
@      IN MX  10 mx.$zone.
smtp   IN A   127.10.$net.1
mx     IN A   127.10.$net.2
mail   IN A   127.10.$net.3
EOF
  done
  cat >"$tmp/nsd.conf" <<EOF
server:
    ip-address: $NSD_ADDR@$NSD_PORT
    port: $NSD_PORT
    do-ip4: yes
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$tmp/nsd/zones"
    pidfile: "$tmp/nsd/nsd.pid"
    xfrdfile: "$tmp/nsd/xfrd.state"
    xfrdir: "$tmp/nsd"
    zonelistfile: "$tmp/nsd/zone.list"
    database: ""
    logfile: "$tmp/nsd/nsd.log"
    server-count: 1
    verbosity: 0
    hide-version: yes
    # Response-rate limiting is on by default and caps one loopback client at ~240 qps.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: alpha.test
    zonefile: alpha.test.zone
zone:
    name: beta.test
    zonefile: beta.test.zone
EOF
  nsd-checkconf "$tmp/nsd.conf" >&2 || die "nsd-checkconf rejected $tmp/nsd.conf"
  if answers "$NSD_ADDR" "$NSD_PORT"; then
    die "something already answers DNS at $NSD_ADDR:$NSD_PORT; set NSD_ADDR/NSD_PORT"
  fi
  log "starting NSD $(nsd -v 2>&1 | awk 'NR==1 {print $3}') at $NSD_ADDR:$NSD_PORT"
  nsd -c "$tmp/nsd.conf" -d >"$tmp/nsd.out" 2>&1 &
  pids+=($!)
  nsd_pid=$!
  if ! wait_dns "$NSD_ADDR" "$NSD_PORT"; then
    cat "$tmp/nsd.out" "$tmp/nsd/nsd.log" >&2 2>/dev/null || true
    kill -0 "$nsd_pid" 2>/dev/null || die "nsd exited (address $NSD_ADDR:$NSD_PORT in use?)"
    die "nsd does not answer beta.test MX"
  fi
  kill -0 "$nsd_pid" 2>/dev/null || die "nsd exited"
fi

# ---------------------------------------------------------------- same data?
if ((run_ours && run_nsd)); then
  for zone in alpha.test beta.test; do
    a=$(answer "$ours_addr" "$ours_port" "$zone")
    b=$(answer "$NSD_ADDR" "$NSD_PORT" "$zone")
    if [ "$a" != "$b" ]; then
      log "warning: $zone MX answers differ (ours < > nsd):"
      diff <(echo "$a") <(echo "$b") >&2 || true
    fi
  done
fi

# ---------------------------------------------------------------- run
# Rounds alternate the servers so that load from other programs on a shared
# machine hits both alike; the summary takes each server's median round.
labels=()
((run_ours)) && labels+=(ours)
((run_nsd)) && labels+=(nsd)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
  for l in "${labels[@]}"; do
    if [ "$l" = ours ]; then
      run_dnsperf ours "$r" "$ours_addr" "$ours_port"
    else
      run_dnsperf nsd "$r" "$NSD_ADDR" "$NSD_PORT"
    fi
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
declare -A sent completed lost qps qps_range cpu per_cpu codes rounds_qps
for l in "${labels[@]}"; do
  s_sum=0 c_sum=0 l_sum=0 qs=() cpu_sum=0
  for ((r = 1; r <= ROUNDS; r++)); do
    f="$tmp/$l.$r.out"
    s_sum=$((s_sum + $(dnsperf_stat "$f" "Queries sent")))
    c_sum=$((c_sum + $(dnsperf_stat "$f" "Queries completed")))
    l_sum=$((l_sum + $(dnsperf_stat "$f" "Queries lost")))
    qs+=("$(dnsperf_stat "$f" "Queries per second")")
    cpu_sum=$(awk -v a="$cpu_sum" -v b="$(cat "$tmp/$l.$r.cpu")" 'BEGIN { printf "%.2f", a + b }')
  done
  sent[$l]=$s_sum completed[$l]=$c_sum lost[$l]=$l_sum cpu[$l]=$cpu_sum
  sorted=$(printf '%s\n' "${qs[@]}" | sort -g)
  qps[$l]=$(echo "$sorted" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f", m }')
  qps_range[$l]=$(echo "$sorted" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }')
  rounds_qps[$l]=$(printf '%s\n' "${qs[@]}" | awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 }')
  per_cpu[$l]=$(awk -v c="$c_sum" -v t="$cpu_sum" 'BEGIN { if (t > 0) printf "%.0f", c / t; else print "n/a" }')
  codes[$l]=$(rcodes "$tmp/$l".*.out)
done

name_of() { if [ "$1" = ours ]; then echo "mailflow"; else echo "NSD $(nsd -v 2>&1 | awk 'NR==1 {print $3}')"; fi; }
addr_of() { if [ "$1" = ours ]; then echo "$ours_addr:$ours_port"; else echo "$NSD_ADDR:$NSD_PORT"; fi; }

ratio="" cpu_ratio=""
if ((run_ours && run_nsd)); then
  ratio=$(awk -v a="${qps[ours]}" -v b="${qps[nsd]}" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }')
  cpu_ratio=$(awk -v a="${per_cpu[ours]}" -v b="${per_cpu[nsd]}" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }')
fi

table() { # $1 = "text" or "md"
  local l
  if [ "$1" = md ]; then
    echo "| server | address | qps (median) | qps per round | sent | completed | lost | server CPU s | queries per CPU s | response codes |"
    echo "|---|---|---:|---|---:|---:|---:|---:|---:|---|"
    for l in "${labels[@]}"; do
      echo "| $(name_of "$l") | $(addr_of "$l") | ${qps[$l]} | ${rounds_qps[$l]} | ${sent[$l]} | ${completed[$l]} | ${lost[$l]} | ${cpu[$l]} | ${per_cpu[$l]} | ${codes[$l]} |"
    done
  else
    printf '%-10s %-18s %9s %15s %10s %10s %6s %7s %9s  %s\n' server address qps "qps range" sent completed lost "cpu s" "q/cpu s" "response codes"
    for l in "${labels[@]}"; do
      printf '%-10s %-18s %9s %15s %10s %10s %6s %7s %9s  %s\n' "$(name_of "$l")" "$(addr_of "$l")" \
        "${qps[$l]}" "${qps_range[$l]}" "${sent[$l]}" "${completed[$l]}" "${lost[$l]}" "${cpu[$l]}" "${per_cpu[$l]}" "${codes[$l]}"
    done
  fi
}

dnsperf_cmd="dnsperf -s ADDR -p PORT -d queries.txt -l $DURATION -c $DNSPERF_CLIENTS -T $DNSPERF_THREADS -q $DNSPERF_OUTSTANDING"
verdict=""
if [ -n "$ratio" ]; then
  if awk -v r="$ratio" 'BEGIN { exit !(r >= 50) }' && [ "${lost[ours]}" = 0 ]; then
    verdict="meets the target (>= 50% of NSD, no lost queries)"
  else
    verdict="below the target (>= 50% of NSD, no lost queries)"
  fi
fi

echo
echo "DNS benchmark: MX queries (beta.test, alpha.test), UDP, $ROUNDS round(s) of ${DURATION}s per server"
echo "dnsperf: $dnsperf_cmd"
table text
if [ -n "$ratio" ]; then
  echo "ratio ours/NSD: ${ratio}% of NSD's qps (median rounds) — $verdict"
  echo "CPU efficiency ours/NSD: ${cpu_ratio}% (queries answered per server CPU second)"
fi
echo "load average: before $load_before, after $load_after"

if [ "$RECORD" = 1 ]; then
  results=bench/RESULTS.md
  start_results "$results"
  {
    results_preamble "DNS: MX queries per second"
    echo "- dnsperf $(awk '/^Version/ {print $2; exit}' "$tmp/${labels[0]}.1.out"): \`$dnsperf_cmd\`, queries \`beta.test MX\`, \`alpha.test MX\`; $ROUNDS rounds per server (servers alternate), median round reported"
    echo "- load average (1/5/15 min): before $load_before, after $load_after"
    echo
    table md
    echo
    if [ -n "$ratio" ]; then
      echo "ratio ours/NSD: **${ratio}%** of NSD's qps; lost queries (ours): ${lost[ours]}; $verdict. CPU efficiency ours/NSD: ${cpu_ratio}%."
    elif ((run_nsd)); then
      echo "reference only (BENCH_ONLY=nsd); our server was not run."
    else
      echo "ours only (BENCH_ONLY=ours); no reference run."
    fi
  } >>"$results"
  log "appended the results to $results"
fi
