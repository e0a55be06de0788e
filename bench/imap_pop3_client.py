#!/usr/bin/env python3
"""The client of bench/imap_pop3_bench.sh: one program drives every server the same way.

Standard library only (socket, ssl, hashlib). It speaks IMAP and POP3 over raw sockets with
its own receive buffer (no imaplib/poplib: their per-line Python work would be the client's
cost, not the server's), waits for each reply before sending the next command (serial round
trips, no pipelining), and prints one line of key=value results. Timings are wall-clock
(time.perf_counter); "client_cpu" is this process's own user+system time during the timed
part, so a run shows how much of the wall time the client itself took.

    imap_pop3_client.py populate DIR COUNT [--seed N] [--seen-through K]
        Writes COUNT messages (2-4 KiB, realistic headers, about a third multipart, CRLF
        line ends) into the Maildir DIR (cur/, Dovecot-style names ",S=<size>,W=<size>"
        in ascending order, so that a server that numbers unknown files in file-name order
        gives message i UID i), and with --dovecot-uidlist F a dovecot-uidlist file with
        the same numbering. Messages 1..K are \\Seen, later ones every third unseen, every 25th
        \\Flagged. Prints count, bytes, and sha256 digests of messages 1..K in order.
    imap_pop3_client.py imap-login HOST PORT --count N [--seconds S] [--procs P] ...
        N times: connect, TLS handshake (implicit TLS), greeting, LOGIN, LOGOUT, close.
    imap_pop3_client.py imap-fetch HOST PORT [--rounds R] ...
        One session: LOGIN; then R times: SELECT INBOX, FETCH 1:* (FLAGS ENVELOPE
        RFC822.SIZE), each timed; then checks the responses (every message answered once,
        digest of the parsed FLAGS/ENVELOPE/RFC822.SIZE for comparing servers).
    imap_pop3_client.py imap-uid-fetch HOST PORT --count N ...
        One session: LOGIN, SELECT INBOX, then UID FETCH u BODY[] for u = 1..N, one
        command at a time; digest of the bodies.
    imap_pop3_client.py probe HOST PORT --proto imap|pop3 ...
        Connects, reads the greeting, says LOGOUT/QUIT: is the server there?
    imap_pop3_client.py pop3-retr HOST PORT --count N ...
        One session: USER/PASS, then RETR i for i = 1..N, one at a time; QUIT; digest of
        the messages (dot-unstuffed).

Common options: --tls (implicit TLS), --cafile F, --servername NAME, --user, --password,
--timeout S (per read), --quickack (a diagnostic: TCP_QUICKACK after the handshake, so a
server that writes its greeting behind unacknowledged TLS records without TCP_NODELAY is
not stalled by this client's delayed ACK). Exit status 0 when the workload ran (even with wrong answers, which
are reported in the output line as errors=/mismatch=), 1 when it could not.
"""
import argparse
import hashlib
import os
import random
import re
import resource
import socket
import ssl
import statistics
import sys
import time


# ---------------------------------------------------------------------------- connection
class Conn:
    """A socket (plain or TLS) with a receive buffer."""

    def __init__(self, host, port, tls, ctx, servername, timeout, quickack=False):
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            s = ctx.wrap_socket(s, server_hostname=servername)
        if quickack:
            # a diagnostic: acknowledge at once instead of delaying the ACK (Linux resets
            # this after a while; once, right after the handshake, is what the greeting needs)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self.s = s
        self.buf = bytearray()
        self.pos = 0
        self.received = 0
        # recv_into a buffer allocated once: recv(n) would allocate n bytes per call
        self.chunk = bytearray(65536)
        self.view = memoryview(self.chunk)

    def _fill(self):
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        n = self.s.recv_into(self.chunk)
        if not n:
            raise ConnectionError("the server closed the connection")
        self.received += n
        self.buf += self.view[:n]

    def readline(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos : i + 2])
                self.pos = i + 2
                return line
            self._fill()

    def read(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return data

    def read_until(self, term, start_offset=0):
        """Bytes up to and including term; the search starts start_offset bytes in."""
        rel = start_offset  # where to search, relative to self.pos (_fill moves the data)
        while True:
            i = self.buf.find(term, self.pos + rel)
            if i >= 0:
                data = bytes(self.buf[self.pos : i + len(term)])
                self.pos = i + len(term)
                return data
            rel = max(rel, len(self.buf) - self.pos - len(term) + 1)
            self._fill()

    def send(self, data):
        self.s.sendall(data)

    def cipher(self):
        if isinstance(self.s, ssl.SSLSocket):
            c = self.s.cipher()
            return f"{self.s.version()}/{c[0]}" if c else "?"
        return "plaintext"

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class ProtocolError(Exception):
    pass


def make_ctx(args):
    if not args.tls:
        return None
    ctx = ssl.create_default_context(cafile=args.cafile) if args.cafile else ssl.create_default_context()
    if not args.cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(args, ctx):
    return Conn(args.host, args.port, args.tls, ctx, args.servername or args.host, args.timeout, args.quickack)


def cpu_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------------------- IMAP
LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Imap:
    def __init__(self, conn):
        self.c = conn
        self.n = 0
        greeting = conn.readline()
        if not greeting.startswith(b"* OK"):
            raise ProtocolError(f"IMAP greeting: {greeting!r}")
        self.greeting = greeting

    def read_response_line(self):
        """One response line with its literals: a list of pieces (lines and literal bytes)."""
        parts = []
        while True:
            line = self.c.readline()
            parts.append(line)
            m = LITERAL.search(line)
            if not m:
                return parts
            parts.append(self.c.read(int(m.group(1))))

    def command(self, text, untagged=None):
        """Sends 'TAG text'; returns (tagged status line, untagged count). untagged, if a
        list, gets every untagged response (as a list of pieces)."""
        self.n += 1
        tag = b"a%d" % self.n
        self.c.send(tag + b" " + text + b"\r\n")
        count = 0
        prefix = tag + b" "
        while True:
            parts = self.read_response_line()
            first = parts[0]
            if first.startswith(prefix):
                return first[len(prefix):], count
            if first.startswith(b"+"):
                raise ProtocolError(f"unexpected continuation request after {text[:40]!r}: {first!r}")
            count += 1
            if untagged is not None:
                untagged.append(parts)

    def ok(self, text, untagged=None):
        status, count = self.command(text, untagged)
        if not status.startswith(b"OK"):
            raise ProtocolError(f"{text[:60]!r}: {status.decode(errors='replace').strip()}")
        return status, count

    def login(self, user, password):
        return self.ok(b"LOGIN " + quote(user) + b" " + quote(password))


def quote(s):
    b = s.encode()
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# A small parser for FETCH responses, used after the timing to compare servers.
TOKEN = re.compile(rb'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|(NIL)(?=[\s()\]])|\{(\d+)\+?\}\r\n|([^\s()"{\[\]]+(?:\[[^\]]*\])?(?:<[^>]*>)?))', re.S)


def parse_fetch(parts):
    """parts: response line pieces of '* n FETCH (...)'; returns (n, {ITEM: value})."""
    # glue the pieces: literal bytes follow the line that announced them
    data = b""
    literals = []
    for i, p in enumerate(parts):
        if i % 2 == 0:
            data += p
        else:
            literals.append(p)
    m = re.match(rb"\* (\d+) FETCH ", data)
    if not m:
        raise ProtocolError(f"not a FETCH response: {data[:80]!r}")
    pos = m.end()
    lit_iter = iter(literals)

    def value(pos):
        t = TOKEN.match(data, pos)
        if not t:
            raise ProtocolError(f"cannot parse at {data[pos:pos + 40]!r}")
        if t.group(1):
            out, pos = [], t.end()
            while True:
                t2 = re.compile(rb"\s*\)").match(data, pos)
                if t2:
                    return out, t2.end()
                v, pos = value(pos)
                out.append(v)
        if t.group(2):
            raise ProtocolError("unbalanced )")
        if t.group(3) is not None:
            return ("s", re.sub(rb"\\(.)", rb"\1", t.group(3))), t.end()
        if t.group(4):
            return None, t.end()
        if t.group(5):
            return ("s", next(lit_iter)), t.end()
        return t.group(6), t.end()

    items, pos = value(pos)
    if not isinstance(items, list) or len(items) % 2:
        raise ProtocolError(f"bad FETCH item list in {data[:80]!r}")
    out = {}
    for k, v in zip(items[0::2], items[1::2]):
        out[k.upper()] = v
    return int(m.group(1)), out


def canon(v):
    """A comparable form: strings compare by bytes whether quoted or literal; atoms upper."""
    if v is None:
        return "NIL"
    if isinstance(v, tuple):
        return "s:" + v[1].decode("latin-1")
    if isinstance(v, bytes):
        return "a:" + v.decode("latin-1")
    return [canon(x) for x in v]


def envelope_key(items):
    flags = items.get(b"FLAGS")
    fl = sorted(f.decode().lower() if isinstance(f, bytes) else str(f) for f in (flags or []))
    fl = [f for f in fl if f != "\\recent"]
    env = items.get(b"ENVELOPE")
    size = items.get(b"RFC822.SIZE")
    return repr((fl, canon(env) if env is not None else "missing", int(size) if size is not None else -1))


# ---------------------------------------------------------------------------- workloads
def report(**kv):
    print(" ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


def pct(v, p):
    return v[max(0, -(-len(v) * p // 100) - 1)] if v else float("nan")


def imap_login_worker(args, ctx, count, deadline, out):
    times, errors, first_error, cipher = [], 0, "", ""
    for _ in range(count):
        if time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        conn = None
        try:
            conn = connect(args, ctx)
            im = Imap(conn)
            im.login(args.user, args.password)
            status, _ = im.command(b"LOGOUT")
            if not status.startswith(b"OK"):
                raise ProtocolError(f"LOGOUT: {status!r}")
            if not cipher:
                cipher = conn.cipher()
        except (OSError, ProtocolError, ConnectionError) as e:
            errors += 1
            if not first_error:
                first_error = repr(e)
            if conn:
                conn.close()
            continue
        conn.close()
        times.append((time.perf_counter() - t0) * 1000)
    out.write(f"{errors} {cipher or '-'} {first_error.replace(chr(10), ' ') or '-'}\n")
    out.write(" ".join(f"{t:.4f}" for t in times) + "\n")


def cmd_imap_login(args):
    ctx = make_ctx(args)
    procs = max(1, args.procs)
    per = [args.count // procs + (1 if i < args.count % procs else 0) for i in range(procs)]
    c0, t_start = cpu_now(), time.perf_counter()
    deadline = t_start + args.seconds
    if procs == 1:
        import io
        buf = io.StringIO()
        imap_login_worker(args, ctx, per[0], deadline, buf)
        outputs = [buf.getvalue()]
        child_cpu = 0.0
    else:
        # P worker processes (fork), each with its share of the logins; results by pipe
        readers = []
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for i in range(procs):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                with os.fdopen(w, "w") as f:
                    try:
                        imap_login_worker(args, ctx, per[i], deadline, f)
                    except BaseException as e:  # noqa: BLE001 - report and exit
                        f.write(f"{per[i]} - {e!r}\n\n")
                os._exit(0)
            os.close(w)
            readers.append((pid, os.fdopen(r)))
        outputs = []
        for pid, f in readers:
            outputs.append(f.read())
            f.close()
            os.waitpid(pid, 0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    wall = time.perf_counter() - t_start
    cpu = cpu_now() - c0 + child_cpu
    times, errors, first_error, cipher = [], 0, "-", "-"
    for o in outputs:
        lines = o.split("\n")
        head = lines[0].split(" ", 2)
        errors += int(head[0])
        if head[1] != "-":
            cipher = head[1]
        if len(head) > 2 and head[2] != "-" and first_error == "-":
            first_error = head[2]
        if len(lines) > 1 and lines[1].strip():
            times += [float(x) for x in lines[1].split()]
    times.sort()
    n = len(times)
    if first_error != "-":
        print(f"first error: {first_error}", file=sys.stderr)
    report(logins=n, errors=errors, procs=procs, seconds=f"{wall:.3f}", rate=f"{n / wall:.1f}",
           median_ms=f"{statistics.median(times) if times else float('nan'):.3f}",
           p99_ms=f"{pct(times, 99):.3f}", client_cpu=f"{cpu:.3f}", cipher=cipher)
    return 0


def cmd_imap_fetch(args):
    ctx = make_ctx(args)
    conn = connect(args, ctx)
    im = Imap(conn)
    im.login(args.user, args.password)
    select_ms, fetch_ms, cpus, counts, byte_counts = [], [], [], [], []
    exists = None
    responses = None
    for r in range(args.rounds):
        c0 = cpu_now()
        t0 = time.perf_counter()
        sel = []
        im.ok(b"SELECT INBOX", sel)
        t1 = time.perf_counter()
        resp = []
        b0 = conn.received
        status, count = im.ok(b"FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE)", resp)
        t2 = time.perf_counter()
        cpus.append(cpu_now() - c0)
        byte_counts.append(conn.received - b0)
        select_ms.append((t1 - t0) * 1000)
        fetch_ms.append((t2 - t1) * 1000)
        for parts in sel:
            m = re.match(rb"\* (\d+) EXISTS", parts[0])
            if m:
                exists = int(m.group(1))
        counts.append(sum(1 for p in resp if re.match(rb"\* \d+ FETCH ", p[0])))
        responses = resp
        # the next round's SELECT deselects this one first (RFC 3501 §6.3.1, no expunge)
    im.command(b"LOGOUT")
    cipher = conn.cipher()
    conn.close()
    # checks, after the timing
    errors, seen, keys = 0, set(), {}
    first_error = ""
    for parts in responses or []:
        if not re.match(rb"\* \d+ FETCH ", parts[0]):
            continue
        try:
            n, items = parse_fetch(parts)
        except ProtocolError as e:
            errors += 1
            first_error = first_error or str(e)
            continue
        if n in seen:
            errors += 1
            first_error = first_error or f"message {n} answered twice"
        seen.add(n)
        for k in (b"FLAGS", b"ENVELOPE", b"RFC822.SIZE"):
            if k not in items:
                errors += 1
                first_error = first_error or f"message {n}: no {k.decode()}"
        keys[n] = envelope_key(items)
    if exists is not None and len(seen) != exists:
        errors += 1
        first_error = first_error or f"{len(seen)} FETCH responses for {exists} messages"
    if args.dump:
        with open(args.dump, "w") as f:
            for n in sorted(keys):
                f.write(f"{n} {keys[n]}\n")
    digest = hashlib.sha256("\n".join(keys[n] for n in sorted(keys)).encode()).hexdigest()[:16]
    if first_error:
        print(f"first error: {first_error}", file=sys.stderr)
    report(exists=exists, rounds=args.rounds,
           select_ms=",".join(f"{x:.2f}" for x in select_ms),
           fetch_ms=",".join(f"{x:.2f}" for x in fetch_ms),
           fetched=",".join(str(c) for c in counts),
           bytes=byte_counts[-1] if byte_counts else 0,
           client_cpu=",".join(f"{x:.3f}" for x in cpus),
           errors=errors, digest=digest, cipher=cipher)
    return 0


def cmd_imap_uid_fetch(args):
    ctx = make_ctx(args)
    conn = connect(args, ctx)
    im = Imap(conn)
    im.login(args.user, args.password)
    im.ok(b"SELECT INBOX")
    h = hashlib.sha256()
    times, errors, nbytes, first_error = [], 0, 0, ""
    c0 = cpu_now()
    t_start = time.perf_counter()
    for uid in range(1, args.count + 1):
        t0 = time.perf_counter()
        resp = []
        status, _ = im.command(b"UID FETCH %d BODY[]" % uid, resp)
        times.append((time.perf_counter() - t0) * 1000)
        body = None
        for parts in resp:
            if len(parts) >= 2 and re.match(rb"\* \d+ FETCH ", parts[0]) and b"BODY[]" in parts[0]:
                body = parts[1]
        if not status.startswith(b"OK") or body is None:
            errors += 1
            first_error = first_error or f"UID FETCH {uid}: {status!r}, {len(resp)} untagged"
            continue
        h.update(body)
        nbytes += len(body)
    wall = time.perf_counter() - t_start
    cpu = cpu_now() - c0
    im.command(b"LOGOUT")
    cipher = conn.cipher()
    conn.close()
    times.sort()
    if first_error:
        print(f"first error: {first_error}", file=sys.stderr)
    report(commands=len(times), errors=errors, seconds=f"{wall:.3f}", bytes=nbytes,
           median_ms=f"{statistics.median(times):.4f}", p99_ms=f"{pct(times, 99):.4f}",
           client_cpu=f"{cpu:.3f}", digest=h.hexdigest()[:16], cipher=cipher)
    return 0


def cmd_probe(args):
    """Connect (TLS handshake), read the greeting, say goodbye: is the server up?"""
    conn = connect(args, make_ctx(args))
    g = conn.readline()
    if args.proto == "imap":
        if not g.startswith(b"* OK"):
            raise ProtocolError(f"IMAP greeting: {g!r}")
        conn.send(b"a1 LOGOUT\r\n")
    else:
        if not g.startswith(b"+OK"):
            raise ProtocolError(f"POP3 greeting: {g!r}")
        conn.send(b"QUIT\r\n")
    conn.readline()
    conn.close()
    report(greeting=g.decode(errors="replace").strip().replace(" ", "_")[:80])
    return 0


def cmd_pop3_retr(args):
    ctx = make_ctx(args)
    conn = connect(args, ctx)

    def cmd(line):
        conn.send(line + b"\r\n")
        r = conn.readline()
        if not r.startswith(b"+OK"):
            raise ProtocolError(f"{line.split(b' ')[0].decode()}: {r.decode(errors='replace').strip()}")
        return r

    g = conn.readline()
    if not g.startswith(b"+OK"):
        raise ProtocolError(f"POP3 greeting: {g!r}")
    cmd(b"USER " + args.user.encode())
    cmd(b"PASS " + args.password.encode())
    stat = cmd(b"STAT").split()
    h = hashlib.sha256()
    times, errors, nbytes, first_error = [], 0, 0, ""
    c0 = cpu_now()
    t_start = time.perf_counter()
    for i in range(1, args.count + 1):
        t0 = time.perf_counter()
        conn.send(b"RETR %d\r\n" % i)
        first = conn.readline()
        if not first.startswith(b"+OK"):
            errors += 1
            first_error = first_error or f"RETR {i}: {first!r}"
            continue
        # the message up to the terminating line; an empty message ends at once
        data = conn.read_until(b"\r\n.\r\n")
        times.append((time.perf_counter() - t0) * 1000)
        # data: message lines + ".\r\n"; drop the terminator, undo dot-stuffing
        msg = data[:-3]
        if msg.startswith(b".."):
            msg = msg[1:]
        msg = msg.replace(b"\r\n..", b"\r\n.")
        h.update(msg)
        nbytes += len(msg)
    wall = time.perf_counter() - t_start
    cpu = cpu_now() - c0
    cmd(b"QUIT")
    cipher = conn.cipher()
    conn.close()
    times.sort()
    if first_error:
        print(f"first error: {first_error}", file=sys.stderr)
    report(commands=len(times), errors=errors, maildrop=stat[1].decode() if len(stat) > 1 else "?",
           seconds=f"{wall:.3f}", bytes=nbytes,
           median_ms=f"{statistics.median(times) if times else float('nan'):.4f}", p99_ms=f"{pct(times, 99):.4f}",
           client_cpu=f"{cpu:.3f}", digest=h.hexdigest()[:16], cipher=cipher)
    return 0


# ---------------------------------------------------------------------------- fixture
FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yuki"]
LAST = ["Smith", "Jones", "Müller", "García", "Tanaka", "Okafor", "Novak", "Rossi", "Dubois", "Kowalski"]
DOMAINS = ["alpha.test", "gamma.example", "lists.example.org", "corp.example.net", "mail.example.com"]
WORDS = ("the a to of and in for on with at by from meeting report budget release review draft "
         "schedule notes update question server mail queue deploy weekend lunch project plan "
         "invoice travel ticket build test issue fix patch design").split()
SUBJECTS = ["Re: {w} {w} for {day}", "{W} {w} update", "Fwd: {W} {w}", "[dev] {W} {w} {w} (#{n})",
            "Quarterly {w} {w}", "=?UTF-8?Q?R=C3=A9union_{w}?=", "=?UTF-8?B?5Lya6K2w44Gu6LOH5paZ?= {w}",
            "Your {w} {w} is ready", "Question about the {w}"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def person(rng):
    f, l = rng.choice(FIRST), rng.choice(LAST)
    addr = f"{f.lower()}.{l.encode('ascii', 'ignore').decode().lower() or 'x'}@{rng.choice(DOMAINS)}"
    if any(ord(c) > 127 for c in l):
        import base64
        name = "=?UTF-8?B?" + base64.b64encode(f"{f} {l}".encode()).decode() + "?="
    else:
        name = f'"{l}, {f}"' if rng.random() < 0.2 else f"{f} {l}"
    return f"{name} <{addr}>"


def para(rng, words):
    out, line = [], ""
    for _ in range(words):
        w = rng.choice(WORDS)
        if len(line) + len(w) + 1 > 72:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    out.append(line)
    return "\r\n".join(out)


def message(i, rng, when):
    frm = person(rng)
    to = "Bob Example <bob@beta.test>"
    subj = rng.choice(SUBJECTS)
    subj = re.sub(r"\{w\}", lambda m: rng.choice(WORDS), subj)
    subj = re.sub(r"\{W\}", lambda m: rng.choice(WORDS).capitalize(), subj)
    subj = subj.replace("{day}", rng.choice(DAYS)).replace("{n}", str(rng.randint(100, 9999)))
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    mid = f"<{when}.{i}.{rng.randint(10**8, 10**9)}@{frm.split('@')[1].rstrip('>')}>"
    h = [f"Return-Path: <{frm.split('<')[1].rstrip('>')}>",
         "Delivered-To: bob@beta.test",
         f"Received: from mx.example.net (mx.example.net [192.0.2.{rng.randint(1, 254)}])\r\n"
         f"\tby mx.beta.test (mailflow) with ESMTPS id {rng.randint(10**9, 10**10):X}\r\n"
         f"\tfor <bob@beta.test>; {date}",
         f"Received: from [10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}] (client.example.net)\r\n"
         f"\tby smtp.example.net with ESMTPSA id {rng.randint(10**9, 10**10):x}; {date}",
         f"Message-ID: {mid}",
         f"Date: {date}",
         f"From: {frm}",
         f"To: {to}"]
    if rng.random() < 0.3:
        h.append(f"Cc: {person(rng)}, {person(rng)}")
    if subj.startswith("Re:") and rng.random() < 0.8:
        ref = f"<{when - 3600}.{i}.{rng.randint(10**8, 10**9)}@alpha.test>"
        h += [f"In-Reply-To: {ref}", f"References: {ref}"]
    if rng.random() < 0.15:
        h.append(f"Reply-To: {person(rng)}")
    h += [f"Subject: {subj}", "MIME-Version: 1.0", "X-Mailer: mailflow-bench/1.0"]
    kind = rng.random()
    target = rng.randint(2048, 4096)
    if kind < 0.65:
        h += ["Content-Type: text/plain; charset=utf-8; format=flowed", "Content-Transfer-Encoding: 8bit"]
        head = "\r\n".join(h) + "\r\n\r\n"
        body = ""
        while len(head) + len(body) < target:
            body += para(rng, rng.randint(20, 60)) + "\r\n\r\n"
        body += "-- \r\n" + frm.split("<")[0].strip() + "\r\n"
    else:
        boundary = f"=_mailflow_{rng.randint(10**11, 10**12):x}"
        if kind < 0.85:
            h.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        else:
            h.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        head = "\r\n".join(h) + "\r\n\r\n"
        text = para(rng, rng.randint(40, 90))
        parts = [f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"]
        if kind < 0.85:
            html = "<html><body><p>" + text.replace("\r\n\r\n", "</p><p>") + "</p></body></html>"
            parts.append(f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
                         f"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(html) + "\r\n")
        else:
            import base64
            size = max(200, target - len(head) - len(text) - 400)
            blob = base64.encodebytes(bytes(rng.getrandbits(8) for _ in range(size * 3 // 4))).decode()
            parts.append(f"--{boundary}\r\nContent-Type: application/pdf; name=\"report-{i}.pdf\"\r\n"
                         f"Content-Disposition: attachment; filename=\"report-{i}.pdf\"\r\n"
                         f"Content-Transfer-Encoding: base64\r\n\r\n" + blob.replace("\n", "\r\n"))
        body = "".join(parts) + f"--{boundary}--\r\n"
    return (head + body).encode()


def qp(s):
    out, line = [], ""
    for ch in s.encode():
        c = chr(ch) if 33 <= ch <= 126 and ch != 61 else f"={ch:02X}"
        if ch == 32:
            c = " "
        if len(line) + len(c) > 75:
            out.append(line + "=")
            line = ""
        line += c
    out.append(line)
    return "\r\n".join(out)


def cmd_populate(args):
    rng = random.Random(args.seed)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(args.dir, d), exist_ok=True)
    base_time = 1764547200  # 2025-12-01 00:00 UTC
    total, names = 0, []
    seen_through = args.count if args.seen_through is None else args.seen_through
    digest = hashlib.sha256()
    marks = sorted({int(x) for x in args.digests.split(",") if x}) if args.digests else []
    digests = {}
    for i in range(1, args.count + 1):
        when = base_time + i * 97
        data = message(i, rng, when)
        total += len(data)
        # "<secs>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<size>": the file is CRLF, so the
        # RFC 822 size equals the file size. Ascending in i, as strings too.
        base = f"{when}.M{i:06d}P4242Q{i}.bench.beta.test,S={len(data)},W={len(data)}"
        flags = "S" if i <= seen_through or i % 3 else ""
        if i % 25 == 0:
            flags = "F" + flags
        name = f"{base}:2,{flags}"
        path = os.path.join(args.dir, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (when, when))
        names.append(base)
        if i <= max(marks, default=0):
            digest.update(data)
        if i in marks:
            digests[f"digest_{i}"] = digest.copy().hexdigest()[:16]
    # Dovecot's UID list (version 3) giving the same numbering: message i is UID i
    with open(args.dovecot_uidlist or os.devnull, "w") as f:
        f.write(f"3 V1764547200 N{args.count + 1} G{hashlib.md5(str(args.seed).encode()).hexdigest()}\n")
        for i, base in enumerate(names, 1):
            f.write(f"{i} :{base}\n")
    report(count=args.count, bytes=total, seen_through=seen_through, **digests)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("populate")
    pp.add_argument("dir")
    pp.add_argument("count", type=int)
    pp.add_argument("--seed", type=int, default=1)
    pp.add_argument("--seen-through", type=int)
    pp.add_argument("--digests", help="N1,N2,...: print the sha256 (16 hex digits) of messages 1..N in order")
    pp.add_argument("--dovecot-uidlist", help="write Dovecot's dovecot-uidlist for the same numbering here")
    for name in ("probe", "imap-login", "imap-fetch", "imap-uid-fetch", "pop3-retr"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        q.add_argument("--tls", action="store_true")
        q.add_argument("--cafile")
        q.add_argument("--servername")
        q.add_argument("--user", default="bob@beta.test")
        q.add_argument("--password", default="bob-secret")
        q.add_argument("--timeout", type=float, default=30)
        q.add_argument("--count", type=int, default=1000)
        q.add_argument("--seconds", type=float, default=120)
        q.add_argument("--procs", type=int, default=1)
        q.add_argument("--rounds", type=int, default=1)
        q.add_argument("--dump")
        q.add_argument("--quickack", action="store_true",
                       help="set TCP_QUICKACK after the TLS handshake (diagnoses a server's Nagle stall)")
        q.add_argument("--proto", choices=("imap", "pop3"), default="imap")
    args = p.parse_args()
    fn = {"populate": cmd_populate, "probe": cmd_probe, "imap-login": cmd_imap_login, "imap-fetch": cmd_imap_fetch,
          "imap-uid-fetch": cmd_imap_uid_fetch, "pop3-retr": cmd_pop3_retr}[args.cmd]
    try:
        return fn(args)
    except (OSError, ProtocolError, ConnectionError) as e:
        print(f"{args.cmd}: {e!r}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
