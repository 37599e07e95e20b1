#!/usr/bin/env python3
"""Tar surgery for the bundle corruption tests (test_bundle_*.sh).

What a co-recipient who knows the file key can do to a decrypted payload:
patch bytes in place, patch ustar header fields (recomputing the checksum),
splice another member's content in, insert pax records, or build a whole new
tar from the genuine members. Members are named by path suffix, so the tests
need not know the random top directory (the bundle id).

  members TAR                         offset, data offset, size, type, name
  flip FILE OFFSET                    XOR one byte with 0x01 (negative: from the end)
  sethdr TAR SUFFIX FIELD VALUE       mode (octal) | mtime | size | type | name | uname
  splice TAR SUFFIX CONTENT OUT       replace SUFFIX's content (size updated)
  pax TAR SUFFIX 'key=value' OUT      insert a pax header with that record before SUFFIX
  paxall TAR OUT                      rewrite with tarfile PAX_FORMAT, a path record each
  craft TAR KIND OUT                  build a hostile tar from TAR's members (see KINDS)
"""
import io
import sys
import tarfile

BLOCK = 512


def load(path):
    return bytearray(open(path, "rb").read())


def members(path):
    with tarfile.open(path, format=tarfile.USTAR_FORMAT) as t:
        return [(m, t.extractfile(m).read() if m.isreg() else b"") for m in t.getmembers()]


def find(path, suffix):
    for m, _ in members(path):
        if m.name.rstrip("/").endswith(suffix):
            return m
    sys.exit("no member ending in " + suffix)


def checksum(b, off):
    hdr = b[off:off + BLOCK]
    hdr[148:156] = b" " * 8
    s = sum(hdr)
    b[off + 148:off + 156] = ("%06o\0 " % s).encode()


FIELDS = {"name": (0, 100), "mode": (100, 8), "size": (124, 12), "mtime": (136, 12), "type": (156, 1), "uname": (265, 32)}


def sethdr(b, off, field, value):
    start, width = FIELDS[field]
    if field in ("name", "uname"):
        raw = value.encode().ljust(width, b"\0")
    elif field == "type":
        raw = value.encode()
    else:
        num = int(value, 8) if field == "mode" else int(value)
        raw = ("%0*o\0" % (width - 1, num)).encode()
    b[off + start:off + start + width] = raw
    checksum(b, off)


def pad(data):
    return data + b"\0" * (-len(data) % BLOCK)


def pax_header(name, records):
    body = b""
    for k, v in records:
        rec = " %s=%s\n" % (k, v)
        n = len(rec) + 1
        while len(str(n)) + len(rec) != n:
            n += 1
        body += (str(n) + rec).encode()
    ti = tarfile.TarInfo("PaxHeader/" + name.split("/")[-1])
    ti.type = tarfile.XHDTYPE
    ti.size = len(body)
    return ti.tobuf(tarfile.USTAR_FORMAT) + pad(body)


def write(members_, out, fmt=tarfile.USTAR_FORMAT):
    with tarfile.open(out, "w", format=fmt) as t:
        for m, data in members_:
            m.size = len(data) if m.isreg() else 0
            t.addfile(m, io.BytesIO(data) if m.isreg() else None)


def entry(name, type_=tarfile.REGTYPE, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.mode = 0o644
    ti.mtime = 1700000000
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data


def craft(src, kind, out):
    ms = members(src)
    top = ms[0][0].name.split("/")[0]
    names = [m.name.rstrip("/") for m, _ in ms]
    idx = {n[len(top) + 1:]: i for i, n in enumerate(names)}
    a = idx["data/ev/a.txt"]
    manifest = ms[:1]
    if kind == "dotdot":
        ms = manifest + [entry("../x", data=b"pwned\n")]
    elif kind == "abs":
        ms = manifest + [entry("/tmp/custos-abs-pwned", data=b"pwned\n")]
    elif kind == "symlink":
        ms[a] = entry(names[a], tarfile.SYMTYPE, linkname="/etc/passwd")
    elif kind == "hardlink":
        ms[a] = entry(names[a], tarfile.LNKTYPE, linkname="/etc/passwd")
    elif kind == "chardev":
        ms[a] = entry(names[a], tarfile.CHRTYPE, devmajor=1, devminor=3)
    elif kind == "duplicate":
        ms.insert(a + 1, ms[a])
    elif kind == "outside":
        m, d = ms[a]
        ms[a] = entry("elsewhere/data/ev/a.txt", data=d, mode=m.mode, mtime=m.mtime)
    elif kind == "extra":
        ms.insert(a + 1, entry(top + "/data/ev/zz-extra.txt", data=b"not in the manifest\n"))
    elif kind == "missing":
        del ms[a]
    elif kind == "size":
        m, d = ms[a]
        ms[a] = (m, d + b"!")
    elif kind == "notfirst":
        ms[0], ms[1] = ms[1], ms[0]
    elif kind == "noseal":
        ms = ms[:-1]
    elif kind == "nomanifest":
        ms = ms[1:]
    elif kind == "empty":
        ms = []
    else:
        sys.exit("unknown kind " + kind)
    write(ms, out)


def main(argv):
    cmd = argv[1]
    if cmd == "members":
        for m, _ in members(argv[2]):
            print(m.offset, m.offset_data, m.size, m.type.decode(), m.name)
    elif cmd == "flip":
        b = load(argv[2])
        b[int(argv[3])] ^= 0x01
        open(argv[2], "wb").write(b)
    elif cmd == "sethdr":
        b = load(argv[2])
        sethdr(b, find(argv[2], argv[3]).offset, argv[4], argv[5])
        open(argv[2], "wb").write(b)
    elif cmd == "splice":
        b = load(argv[2])
        m = find(argv[2], argv[3])
        data = open(argv[4], "rb").read()
        hdr = b[m.offset:m.offset_data]
        sethdr(hdr, len(hdr) - BLOCK, "size", str(len(data)))
        end = m.offset_data + len(pad(b"\0" * m.size))
        open(argv[5], "wb").write(b[:m.offset] + hdr + pad(data) + b[end:])
    elif cmd == "pax":
        b = load(argv[2])
        m = find(argv[2], argv[3])
        key, value = argv[4].split("=", 1)
        open(argv[5], "wb").write(b[:m.offset] + pax_header(m.name, [(key, value)]) + b[m.offset:])
    elif cmd == "paxall":
        ms = members(argv[2])
        for m, _ in ms:
            m.pax_headers = {"path": m.name}
        write(ms, argv[3], tarfile.PAX_FORMAT)
    elif cmd == "craft":
        craft(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
