#!/usr/bin/env python3
"""Helpers for the office API integration tests (tests/lib_office.sh); standard library only.

  get FILE [KEY...]          print a JSON value (strings raw, others as JSON); exit 1 if absent
  find-id FILE               print the first application id (A + 25 Crockford base32) found
                             anywhere in a JSON document; exit 1 if none
  problem BODY HDRS [STATUS [SLUG,SLUG...]]
                             check an RFC 9457 problem+json answer (docs/HTTP.md): the
                             Content-Type, an object with type (under
                             https://paspor.example/problems/), title, status (equal to the
                             HTTP status), detail a string when present, the type one of
                             the slugs when given; exit 1 saying why
  person N SEX DATE START [KEY=VALUE...]
                             a booking body for synthetic applicant N (docs/BOOKING.md: a
                             valid NIK agreeing with birth date and sex; DATE/START may be
                             '-' to leave the slot out); KEY=VALUE overrides or adds fields
                             (VALUE parsed as JSON when it parses, else a string; KEY=
                             with nothing after '=' deletes the key)
  enrol-body N|NAME          the enrolment body for person N (or a full name): the name
                             split at its last word (primary) and the words before it
  persons                    many bodies at once: each stdin line holds the arguments of
                             'person' (shell quoting); one JSON body per output line
  nik N SEX BIRTH_DATE       a synthetic NIK
  tz-plan                    two zones for the no-show test: a zone A in which a slot later
                             today (local) exists, and zone B whose local date is already
                             after A's date; prints "ZONE_A DATE_A START ZONE_B"
  roles-table ROLES.md       the role x action table as lines "action ROLE ROLE ..."
  conf FILE KEY=VALUE...     rewrite settings of a libconfig paspor.conf (see below)
  smtp-sink PORTFILE OUTDIR  a tiny SMTP server on 127.0.0.1 (a free port, written to
                             PORTFILE): AUTH PLAIN, each message saved to OUTDIR as
                             N.eml with its envelope in N.env (for the SMTP sender test)
  http-sink PORTFILE OUTDIR [STATUS]
                             a tiny HTTP server on 127.0.0.1 recording each POST (body in
                             N.json, the Authorization header in N.auth), answering
                             STATUS (default 200)
"""
import datetime
import json
import re
import sys

PROVINCES = [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
             61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96]
FIRST = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Ayu", "Made", "Wayan", "Putri",
         "Eko", "Sri", "Andi", "Nur", "Hendra", "Lestari", "Bambang", "Indah", "Yusuf",
         "Ratna"]
LAST = ["Rahayu", "Santoso", "Wati", "Pratama", "Hidayat", "Susanti", "Saputra",
        "Kusuma", "Nugroho", "Permata", "Siregar", "Harahap", "Wibowo", "Lubis",
        "Setiawan", "Purnama", "Gunawan", "Utami", "Halim", "Sembiring"]


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def out(v):
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))


def cmd_get(a):
    v = load(a[0])
    for k in a[1:]:
        if isinstance(v, list):
            try:
                v = v[int(k)]
            except (ValueError, IndexError):
                return 1
        elif isinstance(v, dict) and k in v:
            v = v[k]
        else:
            return 1
    out(v)
    return 0


APP_ID = re.compile(r"^A[0-9A-HJKMNP-TV-Z]{25}$")


def cmd_find_id(a):
    def walk(v):
        if isinstance(v, str) and APP_ID.match(v):
            return v
        if isinstance(v, dict):
            for k in ("id", "application_id", "app"):
                if k in v and isinstance(v[k], str) and APP_ID.match(v[k]):
                    return v[k]
            v = list(v.values())
        if isinstance(v, list):
            for x in v:
                r = walk(x)
                if r:
                    return r
        return None
    r = walk(load(a[0]))
    if not r:
        return 1
    print(r)
    return 0


def cmd_problem(a):
    body, hdrs = a[0], a[1]
    want = int(a[2]) if len(a) > 2 and a[2] else None
    status, ctype = None, None
    for line in open(hdrs, "rb").read().decode("latin-1").splitlines():
        m = re.match(r"^HTTP/\S+ (\d{3})", line)
        if m:
            status, ctype = int(m.group(1)), None  # the last response counts
        elif line.lower().startswith("content-type:"):
            ctype = line.split(":", 1)[1].strip()
    errs = []
    if want is not None and status != want:
        errs.append("status %s, expected %s" % (status, want))
    if ctype != "application/problem+json":
        errs.append("content-type %r" % ctype)
    try:
        p = load(body)
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        p = None
        errs.append("body is not JSON (%s)" % type(e).__name__)
    if p is not None:
        if not isinstance(p, dict):
            errs.append("body is not an object")
        else:
            t = p.get("type")
            if not (isinstance(t, str) and re.match(r"^https://paspor\.example/problems/[a-z0-9-]+$", t)):
                errs.append("type %r" % t)
            if not (isinstance(p.get("title"), str) and p["title"]):
                errs.append("no title")
            if p.get("status") != status:
                errs.append("status member %r != HTTP %s" % (p.get("status"), status))
            if "detail" in p and not isinstance(p["detail"], str):
                errs.append("detail not a string")
            slugs = [x for x in (a[3] if len(a) > 3 else "").split(",") if x]
            if slugs and t not in ["https://paspor.example/problems/" + x for x in slugs]:
                errs.append("type %r, expected one of %s" % (t, ",".join(slugs)))
    if errs:
        print("; ".join(errs))
        return 1
    return 0


def nik(n, sex, birth):
    y, m, d = int(birth[0:4]), int(birth[5:7]), int(birth[8:10])
    prov = PROVINCES[n % len(PROVINCES)]
    kk = 1 + (n * 7) % 79
    cc = 1 + (n * 13) % 29
    dd = d + 40 if sex == "F" else d
    serial = 1 + (n * 37) % 9998
    return "%02d%02d%02d%02d%02d%02d%04d" % (prov, kk, cc, dd, m, y % 100, serial)


def birth_of(n):
    y = 1960 + (n * 7) % 45
    m = 1 + (n * 5) % 12
    d = 1 + (n * 11) % 28
    return "%04d-%02d-%02d" % (y, m, d)


def parse_val(v):
    try:
        return json.loads(v)
    except ValueError:
        return v


def full_name_of(n):
    return "%s %s %s" % (FIRST[n % 20], LAST[(n // 20) % 20], LAST[(n * 3 + 7) % 20])


def cmd_enrol_body(a):
    """enrol-body N|NAME: the enrolment body, the name split at its last word"""
    name = full_name_of(int(a[0])) if a[0].isdigit() else a[0]
    w = name.split()
    out({"primary_identifier": w[-1], "secondary_identifier": " ".join(w[:-1])})
    return 0


def cmd_person(a):
    n, sex, date, start = int(a[0]), a[1], a[2], a[3]
    birth = birth_of(n)
    b = {
        "full_name": full_name_of(n),
        "nik": nik(n, sex, birth),
        "birth_place": "Samarinda",
        "birth_date": birth,
        "sex": sex,
        "address": "Jl. Merdeka No. %d, Samarinda" % (n % 200 + 1),
        "phone": "+62812%07d" % (n * 7919 % 10000000),
        "email": "pemohon%d@example.id" % n,
        "passport_type": "ordinary-48",
        "slot_date": date,
        "slot_start": start,
    }
    if date == "-":
        del b["slot_date"], b["slot_start"]
    for kv in a[4:]:
        k, _, v = kv.partition("=")
        if v == "":
            b.pop(k, None)
        else:
            b[k] = parse_val(v)
    out(b)
    return 0


def cmd_persons(_a):
    import shlex
    for line in sys.stdin:
        if line.strip():
            cmd_person(shlex.split(line))
    return 0


def cmd_nik(a):
    print(nik(int(a[0]), a[1], a[2]))
    return 0


def zone(off):
    return "Etc/UTC" if off == 0 else ("Etc/GMT-%d" % off if off > 0 else "Etc/GMT+%d" % -off)


def cmd_tz_plan(_a):
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)
    b_date = (now + datetime.timedelta(hours=14)).date()
    best = None
    for off in range(-12, 15):
        la = now + datetime.timedelta(hours=off)
        if la.date() >= b_date:
            continue
        # the first whole hour at least 20 minutes ahead, still today
        nxt = (la + datetime.timedelta(minutes=20)).replace(minute=0, second=0, microsecond=0)
        nxt += datetime.timedelta(hours=1)
        if nxt.date() != la.date():
            continue
        margin = (b_date - la.date()).days
        if best is None or margin > best[0]:
            best = (margin, off, la.date().isoformat(), nxt.strftime("%H:%M"))
    if best is None:
        return 1
    print(zone(best[1]), best[2], best[3], zone(14))
    return 0


def cmd_roles_table(a):
    text = open(a[0], encoding="utf-8").read()
    cols = None
    for line in text.splitlines():
        if line.startswith("| action |"):
            cols = [c.strip() for c in line.strip("|").split("|")][2:]
            continue
        m = re.match(r"^\| `([a-z_.]+)` \|", line)
        if m and cols:
            cells = [c.strip() for c in line.strip("|").split("|")]
            roles = [cols[i] for i, c in enumerate(cells[2:]) if c == "\u2713"]
            print(m.group(1), *roles)
    return 0


def cmd_conf(a):
    """KEY=VALUE with KEY one of: timezone, working_days, slots, holidays, and any
    ratelimit.NAME, issuance.NAME or confirmation.NAME (a commented-out line such as
    ratelimit.disabled, issuance.print_command or confirmation.smtp_url is uncommented);
    VALUE is libconfig text."""
    path = a[0]
    s = open(path, encoding="utf-8").read()
    for kv in a[1:]:
        k, _, v = kv.partition("=")
        if k == "timezone":
            s, n = re.subn(r'timezone = "[^"]*";', 'timezone = "%s";' % v, s, count=1)
        elif k == "working_days":
            s, n = re.subn(r"working_days = \[[^\]]*\];", "working_days = %s;" % v, s, count=1)
        elif k == "holidays":
            s, n = re.subn(r"holidays = \[[^\]]*\];", "holidays = %s;" % v, s, count=1)
        elif k == "slots":
            # one line (as written here before), else the default's several lines
            s, n = re.subn(r"(?m)slots = \(.*\);$", lambda m: "slots = %s;" % v, s, count=1)
            if n == 0:
                s, n = re.subn(r"slots = \((.|\n)*?\n  \);", lambda m: "slots = %s;" % v, s,
                               count=1)
        elif k.startswith("ratelimit.") or k.startswith("issuance.") or \
                k.startswith("confirmation."):
            name = k.split(".", 1)[1]
            s, n = re.subn(r"(?m)^(\s*)#?\s*%s = [^;]*;" % re.escape(name),
                           r"\g<1>%s = %s;" % (name, v), s, count=1)
        else:
            n = 0
        if n != 1:
            print("conf: cannot set %s" % k, file=sys.stderr)
            return 1
    open(path, "w", encoding="utf-8").write(s)
    return 0


def _serve(srv, portfile):
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(tmp, portfile)
    srv.serve_forever()


def cmd_smtp_sink(a):
    """A tiny SMTP server for the SMTP sender's test: EHLO (AUTH PLAIN offered), AUTH
    PLAIN, MAIL, RCPT, DATA, QUIT. Each message: OUTDIR/N.eml, envelope OUTDIR/N.env."""
    import base64
    import os
    import socketserver
    portfile, outdir = a[0], a[1]
    os.makedirs(outdir, exist_ok=True)
    count = [0]

    class H(socketserver.StreamRequestHandler):
        def w(self, s):
            self.wfile.write((s + "\r\n").encode())
            self.wfile.flush()

        def handle(self):
            self.w("220 sink ESMTP")
            env = {"from": None, "rcpt": [], "auth": None}
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                up = cmd.upper()
                if up.startswith("EHLO"):
                    self.w("250-sink")
                    self.w("250-AUTH PLAIN")
                    self.w("250 8BITMIME")
                elif up.startswith("HELO"):
                    self.w("250 sink")
                elif up.startswith("AUTH PLAIN"):
                    parts = cmd.split(" ")
                    if len(parts) >= 3:
                        data = parts[2]
                    else:
                        self.w("334 ")
                        data = self.rfile.readline().decode().strip()
                    env["auth"] = base64.b64decode(data).decode("utf-8", "replace").split("\0")
                    self.w("235 2.7.0 ok")
                elif up.startswith("MAIL FROM:"):
                    env["from"] = cmd[10:].strip().split(" ")[0]
                    self.w("250 ok")
                elif up.startswith("RCPT TO:"):
                    env["rcpt"].append(cmd[8:].strip())
                    self.w("250 ok")
                elif up == "DATA":
                    self.w("354 go on")
                    data = b""
                    while True:
                        ln = self.rfile.readline()
                        if not ln or ln in (b".\r\n", b".\n"):
                            break
                        if ln.startswith(b".."):
                            ln = ln[1:]
                        data += ln
                    count[0] += 1
                    n = count[0]
                    with open(os.path.join(outdir, "%d.env" % n), "w") as f:
                        json.dump(env, f)
                    with open(os.path.join(outdir, "%d.eml" % n), "wb") as f:
                        f.write(data)
                    env = {"from": None, "rcpt": [], "auth": env["auth"]}
                    self.w("250 queued")
                elif up == "QUIT":
                    self.w("221 bye")
                    return
                elif up in ("RSET", "NOOP"):
                    self.w("250 ok")
                else:
                    self.w("502 not here")

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    _serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), H), portfile)
    return 0


def cmd_http_sink(a):
    """A tiny HTTP server for the gateway sender's test: records each POST (body in
    OUTDIR/N.json, its Authorization header in OUTDIR/N.auth) and answers STATUS."""
    import http.server
    import os
    portfile, outdir = a[0], a[1]
    status = int(a[2]) if len(a) > 2 else 200
    os.makedirs(outdir, exist_ok=True)
    count = [0]

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            count[0] += 1
            k = count[0]
            with open(os.path.join(outdir, "%d.auth" % k), "w") as f:
                f.write(self.headers.get("Authorization", ""))
            with open(os.path.join(outdir, "%d.ctype" % k), "w") as f:
                f.write(self.headers.get("Content-Type", ""))
            with open(os.path.join(outdir, "%d.json" % k), "wb") as f:
                f.write(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    _serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), H), portfile)
    return 0


CMDS = {"get": cmd_get, "find-id": cmd_find_id, "problem": cmd_problem, "person": cmd_person,
        "persons": cmd_persons, "enrol-body": cmd_enrol_body, "nik": cmd_nik, "tz-plan": cmd_tz_plan, "roles-table": cmd_roles_table, "conf": cmd_conf,
        "smtp-sink": cmd_smtp_sink, "http-sink": cmd_http_sink}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(CMDS[sys.argv[1]](sys.argv[2:]))
    except (OSError, ValueError) as e:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(1)
