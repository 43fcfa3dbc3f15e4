#!/usr/bin/env python3
"""Lint of the test scripts: every check holds one condition.

`check NAME [ a ] && [ b ]` runs `[ b ]` after check has reported, outside it: a false
`b` is never reported (the shell only sets $?). The same holds for `||` and for a pipe
(`check NAME cmd | grep x` greps check's report, not cmd's output). So a `check` or
`expect_exit` command (after any VAR=value words) that is followed, in the shell's own
syntax, by `&&`, `||` or `|` fails the lint; text inside quotes, $(...), `...`, ${...},
$((...)), comments and here-documents is not code at this level and is not looked at
(`check NAME bash -c '[ a ] && [ b ]'` is one condition and passes).

The same script checks the boundaries between parts of src (--includes): a folder may
not include the headers INCLUDE_RULES forbids it (the office includes nothing from
src/signer/: the signer's socket protocol and client are in src/signproto/).

Usage: tests/lint_checks.py [FILE|DIR ...]   (default: every tests/**/*.sh)
       tests/lint_checks.py --includes SRC  the #include boundaries of SRC (src)
       tests/lint_checks.py --self-test     checks the lint itself on sample lines
Prints "ok lint: ..." or one "FAIL lint: FILE:LINE: ..." per finding (tests/run.sh
counts the lines); exits 1 when something failed.
"""
import os
import re
import sys

CHECKERS = ("check", "expect_exit")
BAD_OPS = ("&&", "||", "|", "|&")
PREFIXES = ("do", "then", "else", "elif", "if", "while", "until", "!", "{", "time")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


class Scanner:
    """Walks a bash script keeping track of quoting and nesting. At the top level it
    collects each simple command (nested parts replaced by a placeholder) and calls
    on_command(first_line, words, operator) when an operator or newline ends it."""

    def __init__(self, text, on_command):
        self.s = text
        self.i = 0
        self.line = 1
        self.on_command = on_command
        self.pending_heredocs = []  # (delimiter, strip_tabs)
        self.cur = []               # characters of the current top-level command
        self.cur_line = None

    # ---- helpers
    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, n=1):
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def emit(self, op):
        words = "".join(self.cur).split()
        if words:
            self.on_command(self.cur_line, words, op)
        self.cur = []
        self.cur_line = None

    def add(self, ch):
        if self.cur_line is None and not ch.isspace():
            self.cur_line = self.line
        self.cur.append(ch)

    # ---- here-documents: bodies start after the newline that ends their line
    def read_heredoc_start(self):
        """At '<<' (not '<<<'): records the delimiter; returns its text (a word)."""
        self.advance(2)
        strip = False
        if self.peek() == "-":
            strip = True
            self.advance()
        while self.peek() in (" ", "\t"):
            self.advance()
        delim = []
        while self.peek() and not self.peek().isspace() and self.peek() not in ";&|<>()":
            ch = self.peek()
            if ch in ("'", '"'):
                self.advance()
                while self.peek() and self.peek() != ch:
                    delim.append(self.peek())
                    self.advance()
                self.advance()
            elif ch == "\\":
                self.advance()
                delim.append(self.peek())
                self.advance()
            else:
                delim.append(ch)
                self.advance()
        if delim:
            self.pending_heredocs.append(("".join(delim), strip))
        return "<<" + "".join(delim)

    def skip_heredoc_bodies(self):
        """Just after a newline in code: skips the bodies of pending here-documents."""
        while self.pending_heredocs:
            delim, strip = self.pending_heredocs.pop(0)
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                if end < 0:
                    end = len(self.s)
                text = self.s[self.i:end]
                self.advance(end - self.i + 1)
                if (text.lstrip("\t") if strip else text) == delim:
                    break

    # ---- nested parts (their text is not top-level code)
    def skip_single(self):
        self.advance()  # '
        while self.peek() and self.peek() != "'":
            self.advance()
        self.advance()

    def skip_ansi(self):
        self.advance(2)  # $'
        while self.peek() and self.peek() != "'":
            if self.peek() == "\\":
                self.advance()
            self.advance()
        self.advance()

    def skip_backtick(self):
        self.advance()
        while self.peek() and self.peek() != "`":
            if self.peek() == "\\":
                self.advance()
            self.advance()
        self.advance()

    def skip_double(self):
        self.advance()  # "
        while self.peek() and self.peek() != '"':
            if not self.skip_expansion(in_double=True):
                if self.peek() == "\\":
                    self.advance()
                self.advance()
        self.advance()

    def skip_expansion(self, in_double=False):
        """At a quote or $-expansion: skips it and returns True; else False."""
        ch, nx = self.peek(), self.peek(1)
        if ch == "$" and nx == "(" and self.peek(2) == "(":
            self.skip_arith(3)
        elif ch == "$" and nx == "(":
            self.advance(2)
            self.skip_code(")")
        elif ch == "$" and nx == "{":
            self.skip_brace()
        elif ch == "$" and nx == "'" and not in_double:
            self.skip_ansi()
        elif ch == "`":
            self.skip_backtick()
        elif ch == '"':
            self.skip_double()
        elif ch == "'" and not in_double:
            self.skip_single()
        else:
            return False
        return True

    def skip_brace(self):
        self.advance(2)  # ${
        while self.peek() and self.peek() != "}":
            if not self.skip_expansion():
                if self.peek() == "\\":
                    self.advance()
                self.advance()
        self.advance()

    def skip_arith(self, n):
        self.advance(n)  # $(( or ((
        depth = 0
        while self.peek():
            if self.skip_expansion():
                continue
            ch = self.peek()
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0 and self.peek(1) == ")":
                    self.advance(2)
                    return
                depth -= 1
            self.advance()

    def skip_code(self, closer):
        """Nested code ($(...) or a subshell within it) up to its closing parenthesis."""
        while self.peek():
            ch = self.peek()
            if ch == closer:
                self.advance()
                return
            if self.skip_expansion():
                continue
            if ch == "\\":
                self.advance(2)
            elif ch == "#" and (self.i == 0 or self.s[self.i - 1] in " \t\n;(|&"):
                while self.peek() and self.peek() != "\n":
                    self.advance()
            elif ch == "<" and self.peek(1) == "<" and self.peek(2) == "<":
                self.advance(3)  # a here-string
            elif ch == "<" and self.peek(1) == "<":
                self.read_heredoc_start()
            elif ch == "(":
                self.advance()
                self.skip_code(")")
            elif ch == "\n":
                self.advance()
                self.skip_heredoc_bodies()
            else:
                self.advance()

    # ---- the top level
    def run(self):
        while self.i < len(self.s):
            ch, nx = self.peek(), self.peek(1)
            if ch == "\\" and nx == "\n":
                self.advance(2)
                self.add(" ")
            elif ch == "\\":
                self.add("x")
                self.advance(2)
            elif ch in "$`\"'":
                start = self.line
                if self.skip_expansion():
                    if self.cur_line is None:
                        self.cur_line = start
                    self.cur.append("Q")
                else:
                    self.add(ch)
                    self.advance()
            elif ch == "#" and (not self.cur or self.cur[-1].isspace()):
                while self.peek() and self.peek() != "\n":
                    self.advance()
            elif ch == "<" and nx == "<" and self.peek(2) == "<":
                for c in "<<<":  # a here-string
                    self.add(c)
                self.advance(3)
            elif ch == "<" and nx == "<":
                for c in self.read_heredoc_start():
                    self.add(c)
            elif ch == "(" and nx == "(" and not "".join(self.cur).strip():
                self.skip_arith(2)
                self.cur.append("Q")
            elif ch == "\n":
                self.emit("newline")
                self.advance()
                self.skip_heredoc_bodies()
            elif ch == "&":
                prev = self.cur[-1] if self.cur else ""
                if nx == "&":
                    self.emit("&&")
                    self.advance(2)
                elif (prev and prev in "<>") or nx == ">":
                    self.add(ch)  # a redirection: 2>&1, &>file
                    self.advance()
                else:
                    self.emit("&")
                    self.advance()
            elif ch == "|":
                prev = self.cur[-1] if self.cur else ""
                if prev == ">":
                    self.add(ch)  # >| clobber
                    self.advance()
                elif nx in "|&":
                    self.emit(ch + nx)
                    self.advance(2)
                else:
                    self.emit("|")
                    self.advance()
            elif ch in ";()":
                self.emit(ch)
                self.advance()
            else:
                self.add(ch)
                self.advance()
        self.emit("end")


def findings(text):
    """(line, checker, operator) for each check/expect_exit followed by &&, || or |."""
    out = []

    def on_command(line, words, op):
        # reserved words and assignments before the command's name
        while words and (words[0] in PREFIXES or ASSIGNMENT.match(words[0])):
            words = words[1:]
        if words and words[0] in CHECKERS and op in BAD_OPS:
            out.append((line, words[0], op))

    Scanner(text, on_command).run()
    return out


def lint_paths(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".sh")]
        else:
            files.append(p)
    bad = 0
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for line, what, op in findings(text):
            bad += 1
            print(f"FAIL lint: {f}:{line}: {what} followed by '{op}': what comes after runs "
                  f"outside {what}, unreported (one condition per check: tests/lib.sh)")
    if not bad:
        print(f"ok lint: no check or expect_exit followed by &&, || or | "
              f"({len(files)} scripts)")
    return bad == 0


# (name, script, findings expected as (line, operator))
SAMPLES = [
    ("[ a ] && [ b ]", 'check "n" [ a ] && [ b ]\n', [(1, "&&")]),
    ("test && test", 'check "n" test -f a && test -f b\n', [(1, "&&")]),
    ("[ ] && grep", 'check "n" [ "$CODE" = 200 ] && grep -q y "$T/body"\n', [(1, "&&")]),
    ("||", 'check "n" [ a ] || [ b ]\n', [(1, "||")]),
    ("pipe", 'check "n" grep -q a f | head -1\n', [(1, "|")]),
    ("expect_exit after VAR=value", 'X=1 expect_exit 0 "n" cmd && [ b ]\n', [(1, "&&")]),
    ("after a backslash newline", 'check "n" \\\n\t[ a ] && [ b ]\n', [(1, "&&")]),
    ("&& ending the line", '\tcheck "n" [ "$(j a)" = x ] &&\n\t[ "$(j b)" = y ]\n',
     [(1, "&&")]),
    ("on line 3", 'x=1\n\ncheck "n" [ "$x" = 1 ] && [ b ]\n', [(3, "&&")]),
    ("inside a loop", 'for i in 1 2; do check "n$i" [ a ] && [ b ]; done\n', [(1, "&&")]),
    ("bash -c is one condition", 'check "n" bash -c "[ a ] && [ b ]"\n', []),
    ("single-quoted bash -c", "check \"n\" bash -c '[ -d \"$1\" ] && [ b ]' _ \"$T\"\n", []),
    ("&& inside $(...)", 'check "n" [ "$(a && b)" = c ]\n', []),
    ("|| in SQL", 'check "n" [ "$(sqlite3 "$db" "SELECT a || b")" = c ]\n', []),
    ("&& in a quoted pattern", "check \"n\" grep -q 'a && b' f\n", []),
    ("&& before check", '[ -n "$x" ] && check "n" true\n', []),
    ("; then another list", 'check "n" [ a ]; [ b ] && echo y\n', []),
    ("here-document", "cat <<'EOF'\ncheck \"n\" [ a ] && [ b ]\nEOF\ncheck \"m\" true\n", []),
    ("here-document in $(...)",
     "x=$(python3 - <<'EOF'\ncheck \"n\" [ a ] && [ b ]\nEOF\n)\ncheck \"m\" true\n", []),
    ("comment", '# check "n" [ a ] && [ b ]\n', []),
    ("after a here-string", 'cmd 3<<<"pw"\ncheck "n" [ a ] && [ b ]\n', [(2, "&&")]),
    ("here-string in $(...)", 'x=$(cmd <<<"pw")\ncheck "n" [ a ] && [ b ]\n', [(2, "&&")]),
    ("redirection 2>&1", 'check "n" cmd 2>&1\n', []),
    ("arithmetic shift", 'x=$((1 << 2)); check "n" [ "$x" = 4 ]\n', []),
    ("${v:-a && b}", 'check "n" [ "${v:-a && b}" = c ]\n', []),
    ("function named check", "check() {\n\tlocal n=$1; shift\n}\n", []),
]


# (folder under SRC, forbidden header prefix, why): no file of the folder, at any depth,
# may #include "PREFIX…"
INCLUDE_RULES = [
    ("office", "signer/", "the office reaches the signer only through signproto/ "
     "(its socket protocol and client); src/signer/ is the key-holding side "
     "(docs/ARCHITECTURE.md)"),
    ("signproto", "signer/", "signproto/ is shared by the office and the signer: it depends "
     "on util/ only"),
    ("signproto", "office/", "signproto/ is shared by the office and the signer: it depends "
     "on util/ only"),
]
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]*)"', re.M)


def include_findings(text, prefix):
    """(line, header) for each #include "header" of text that starts with prefix."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1))
            for m in INCLUDE.finditer(text) if m.group(1).startswith(prefix)]


def lint_includes(src):
    bad = 0
    for folder, prefix, why in INCLUDE_RULES:
        top = os.path.join(src, folder)
        files = []
        for root, dirs, names in os.walk(top):
            dirs.sort()
            files += [os.path.join(root, n) for n in sorted(names) if n.endswith((".c", ".h"))]
        if not files:
            bad += 1
            print(f"FAIL lint: includes: no .c or .h file under {top}")
            continue
        found = 0
        for f in files:
            with open(f, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for line, header in include_findings(text, prefix):
                found += 1
                print(f'FAIL lint: {f}:{line}: includes "{header}": {why}')
        if not found:
            print(f'ok lint: includes: nothing in {top} includes "{prefix}…" '
                  f"({len(files)} files)")
        bad += found
    return bad == 0


# (name, source, prefix, findings expected as (line, header))
INCLUDE_SAMPLES = [
    ("signer header", '#include "signer/client.h"\n', "signer/", [(1, "signer/client.h")]),
    ("on line 3", '#include <stdio.h>\n\n#include "signer/policy.h"\n', "signer/",
     [(3, "signer/policy.h")]),
    ("spaces after #", '#  include "signer/proto.h"\n', "signer/", [(1, "signer/proto.h")]),
    ("inside #ifdef", '#ifdef X\n\t#include "signer/admin.h"\n#endif\n', "signer/",
     [(2, "signer/admin.h")]),
    ("signproto is allowed", '#include "signproto/client.h"\n', "signer/", []),
    ("another folder's header", '#include "office/signer.h"\n', "signer/", []),
    ("a system header", "#include <signer/x.h>\n", "signer/", []),
]


def self_test():
    good = True
    for name, text, want in SAMPLES:
        got = [(line, op) for line, _, op in findings(text)]
        if got == want:
            print(f"ok lint: self-test: {name}")
        else:
            good = False
            print(f"FAIL lint: self-test: {name}: found {got}, expected {want}")
    for name, text, prefix, want in INCLUDE_SAMPLES:
        got = include_findings(text, prefix)
        if got == want:
            print(f"ok lint: self-test: includes: {name}")
        else:
            good = False
            print(f"FAIL lint: self-test: includes: {name}: found {got}, expected {want}")
    return good


def main(argv):
    if argv[1:] == ["--self-test"]:
        return 0 if self_test() else 1
    if argv[1:2] == ["--includes"] and len(argv) == 3:
        return 0 if lint_includes(argv[2]) else 1
    here = os.path.dirname(os.path.abspath(__file__))
    return 0 if lint_paths(argv[1:] or [here]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
