#!/usr/bin/env python3
"""Re-encodes DER as BER with indefinite lengths, for test vectors of BER readers.

    der2ber.py IN OUT [--keep-certs] [--chunk N]

Every constructed element gets the indefinite length (X.690 8.1.3.6: 0x80, its
elements, then 00 00). With --keep-certs, X.509 certificates (SEQUENCE { SEQUENCE {
[0] { INTEGER 2 } ... } ... }) stay as they are: their issuer signed the DER bytes.
With --chunk N, every primitive OCTET STRING longer than N bytes becomes a
constructed one of N-byte pieces (X.690 8.7.3). The values do not change, only their
encoding. Written for Paspor's tests, independent of its C code.
"""
import sys


def read_tlv(d, i):
    """(tag bytes, constructed, value start, value end) of the element at d[i]."""
    start = i
    first = d[i]
    i += 1
    if first & 0x1F == 0x1F:
        while d[i] & 0x80:
            i += 1
        i += 1
    tag = d[start:i]
    n = d[i]
    i += 1
    if n == 0x80:
        raise ValueError("input is not DER: indefinite length at %d" % start)
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[i:i + k], "big")
        i += k
    if i + n > len(d):
        raise ValueError("length past the end at %d" % start)
    return tag, bool(first & 0x20), i, i + n


def children(d, lo, hi):
    out = []
    while lo < hi:
        t = read_tlv(d, lo)
        out.append((lo, t))
        lo = t[3]
    return out


def is_certificate(d, tlv):
    tag, cons, lo, hi = tlv
    if tag != b"\x30" or not cons or lo >= hi:
        return False
    tbs = read_tlv(d, lo)
    if tbs[0] != b"\x30" or tbs[2] >= tbs[3]:
        return False
    ver = read_tlv(d, tbs[2])
    return ver[0] == b"\xa0" and d[ver[2]:ver[3]] == b"\x02\x01\x02"


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def convert(d, start, tlv, keep_certs, chunk):
    tag, cons, lo, hi = tlv
    if keep_certs and is_certificate(d, tlv):
        return d[start:hi]
    if cons:
        body = b"".join(convert(d, s, t, keep_certs, chunk) for s, t in children(d, lo, hi))
        return tag + b"\x80" + body + b"\x00\x00"
    if chunk and tag == b"\x04" and hi - lo > chunk:
        parts = b"".join(b"\x04" + der_len(len(d[j:min(j + chunk, hi)])) + d[j:min(j + chunk, hi)]
                         for j in range(lo, hi, chunk))
        return b"\x24\x80" + parts + b"\x00\x00"
    return d[start:hi]


def main():
    args = sys.argv[1:]
    keep = "--keep-certs" in args
    chunk = 0
    if "--chunk" in args:
        chunk = int(args[args.index("--chunk") + 1])
    paths = [a for a in args if not a.startswith("--") and not a.isdigit()]
    d = open(paths[0], "rb").read()
    out = b"".join(convert(d, s, t, keep, chunk) for s, t in children(d, 0, len(d)))
    open(paths[1], "wb").write(out)


if __name__ == "__main__":
    main()
