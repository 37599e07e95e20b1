#!/usr/bin/env python3
"""A small, strict BagIt (RFC 8493) validator for the test suite.

Why this exists: docs/FORMAT.md promises that an opened bundle — and the bag that
plain `age -d | zstd -d | tar -x` recovers — is a valid BagIt bag that "any
BagIt validator" accepts. Debian 12 packages no BagIt validator (no
bagit-python, no bagit-java), so the tests carry this one. It is written from
the RFC, not from custos's own parser (lib/src/bundle/bag.cpp), so that the
two can disagree: a test that validated our bags with our own code would
prove nothing.

Usage: bagit_validate.py BAGDIR   -> exit 0 and "valid" on stdout, or exit 1
and one "bagit: <reason>" line per problem on stderr.

What it checks (RFC 8493 section in brackets):
  * bagit.txt is exactly two lines, "BagIt-Version: M.N" (1.0 accepted) and
    "Tag-File-Character-Encoding: UTF-8", no BOM [2.1.1];
  * there is at least one payload manifest; every line is "<hex>  <path>",
    the path percent-decoded (%0A, %0D, %25), under data/, no "." / ".."
    components, not listed twice, naming an existing regular file whose
    checksum matches [2.1.3, 7.2];
  * every regular file under data/ is listed in every payload manifest, and
    nothing under data/ is anything but a file or directory [3];
  * bag-info.txt, when present, is "Label: value" lines with continuation
    lines starting with whitespace; Payload-Oxum, when present, appears once
    and equals "<octets>.<file count>" of data/ [2.2.2];
  * every tag manifest line names an existing tag file outside data/ with a
    matching checksum; tag manifests do not list themselves [2.2.1];
  * there is no fetch.txt: a custos bag is always complete [2.2.3].
"""
import hashlib
import os
import re
import stat
import sys

ALGORITHMS = {"md5", "sha1", "sha256", "sha512"}
ERRORS = []


def error(msg):
    ERRORS.append(msg)


def read_lines(path):
    """Lines of a tag file, UTF-8, LF or CRLF line ends; None if undecodable."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        error(f"{os.path.basename(path)} starts with a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        error(f"{os.path.basename(path)} is not UTF-8")
        return None
    if text and not text.endswith("\n"):
        error(f"{os.path.basename(path)} does not end with a line break")
    return text.replace("\r\n", "\n").split("\n")[:-1] if text else []


def percent_decode(path):
    """RFC 8493 §2.1.3: only %0A, %0D and %25 are encoded; any other '%' is literal."""
    return re.sub(r"%(0[AaDd]|25)", lambda m: chr(int(m.group(1), 16)), path)


def file_digest(path, alg):
    h = hashlib.new(alg)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_bagit_txt(bag):
    path = os.path.join(bag, "bagit.txt")
    if not os.path.isfile(path):
        error("bagit.txt is missing")
        return
    lines = read_lines(path)
    if lines is None:
        return
    if len(lines) != 2:
        error(f"bagit.txt has {len(lines)} lines, not 2")
        return
    m = re.fullmatch(r"BagIt-Version: ([0-9]+)\.([0-9]+)", lines[0])
    if not m or (m.group(1), m.group(2)) != ("1", "0"):
        error(f"bagit.txt: bad version line {lines[0]!r}")
    if lines[1] != "Tag-File-Character-Encoding: UTF-8":
        error(f"bagit.txt: bad encoding line {lines[1]!r}")


def parse_manifest(bag, name, want_prefix):
    """{decoded path: hex digest} of a (tag) manifest; checks the line grammar."""
    lines = read_lines(os.path.join(bag, name)) or []
    alg = name.split("-", 1)[1][:-4]
    hexlen = hashlib.new(alg).digest_size * 2
    entries = {}
    for n, line in enumerate(lines, 1):
        m = re.fullmatch(r"([0-9a-fA-F]+)[ \t]+(.+)", line)
        if not m or len(m.group(1)) != hexlen:
            error(f"{name}:{n}: malformed line {line!r}")
            continue
        path = percent_decode(m.group(2))
        parts = path.split("/")
        if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            error(f"{name}:{n}: unsafe path {path!r}")
            continue
        if want_prefix is not None and (parts[0] == "data") != want_prefix:
            where = "outside" if want_prefix else "inside"
            error(f"{name}:{n}: path {path!r} is {where} data/")
            continue
        if path in entries:
            error(f"{name}:{n}: {path!r} is listed twice")
        entries[path] = m.group(1).lower()
    return alg, entries


def payload_files(bag):
    """Every regular file under data/, as 'data/...' paths; anything else is an error."""
    found = {}
    root = os.path.join(bag, "data")
    if not os.path.isdir(root) or os.path.islink(root):
        error("data/ is missing")
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, bag)
            if stat.S_ISREG(st.st_mode):
                found[rel] = st.st_size
            elif not stat.S_ISDIR(st.st_mode):
                error(f"{rel} is neither a file nor a directory")
    return found


def check_payload(bag, files):
    manifests = sorted(n for n in os.listdir(bag) if re.fullmatch(r"manifest-[a-z0-9]+\.txt", n))
    if not manifests:
        error("no payload manifest (manifest-<algorithm>.txt)")
    for name in manifests:
        alg = name[len("manifest-"):-4]
        if alg not in ALGORITHMS:
            error(f"{name}: unsupported algorithm {alg}")
            continue
        _, entries = parse_manifest(bag, name, want_prefix=True)
        for path, digest in entries.items():
            full = os.path.join(bag, path)
            if path not in files:
                error(f"{name}: lists {path!r}, which is not a file in the bag")
            elif file_digest(full, alg) != digest:
                error(f"{name}: checksum of {path!r} does not match")
        for path in sorted(set(files) - set(entries)):
            error(f"{path!r} is not listed in {name}")


def check_bag_info(bag, files):
    path = os.path.join(bag, "bag-info.txt")
    if not os.path.exists(path):
        return
    fields, current = [], None
    for n, line in enumerate(read_lines(path) or [], 1):
        if line[:1] in (" ", "\t") and current is not None:
            fields[-1][1] += line
            continue
        m = re.fullmatch(r"([^:\s][^:]*?)[ \t]*:[ \t]*(.*)", line)
        if not m:
            error(f"bag-info.txt:{n}: not a 'Label: value' line: {line!r}")
            current = None
            continue
        current = [m.group(1), m.group(2)]
        fields.append(current)
    oxums = [v for k, v in fields if k == "Payload-Oxum"]
    if len(oxums) > 1:
        error("bag-info.txt: Payload-Oxum appears more than once")
    if oxums:
        want = f"{sum(files.values())}.{len(files)}"
        if oxums[0].strip() != want:
            error(f"bag-info.txt: Payload-Oxum {oxums[0]!r}, the payload is {want}")


def check_tag_manifests(bag):
    names = sorted(n for n in os.listdir(bag) if re.fullmatch(r"tagmanifest-[a-z0-9]+\.txt", n))
    for name in names:
        alg = name[len("tagmanifest-"):-4]
        if alg not in ALGORITHMS:
            error(f"{name}: unsupported algorithm {alg}")
            continue
        _, entries = parse_manifest(bag, name, want_prefix=False)
        for path, digest in entries.items():
            full = os.path.join(bag, path)
            if re.fullmatch(r"tagmanifest-[a-z0-9]+\.txt", path):
                error(f"{name}: lists the tag manifest {path!r}")
            elif not os.path.isfile(full) or os.path.islink(full):
                error(f"{name}: lists {path!r}, which is not a file in the bag")
            elif file_digest(full, alg) != digest:
                error(f"{name}: checksum of {path!r} does not match")


def main():
    if len(sys.argv) != 2:
        print("usage: bagit_validate.py BAGDIR", file=sys.stderr)
        return 2
    bag = sys.argv[1]
    check_bagit_txt(bag)
    if os.path.lexists(os.path.join(bag, "fetch.txt")):
        error("fetch.txt present: the bag is not complete")
    files = payload_files(bag)
    check_payload(bag, files)
    check_bag_info(bag, files)
    check_tag_manifests(bag)
    for e in ERRORS:
        print(f"bagit: {e}", file=sys.stderr)
    if ERRORS:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
