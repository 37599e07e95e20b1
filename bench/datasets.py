"""bench/datasets.py — deterministic benchmark data (used by bench/run.py).

Every data set is a directory holding what `custos seal` and `tar -c` get as
their one input, so both sides read exactly the same bytes:
  random/data.bin   incompressible: AES-128-CTR keystream of zeros, fixed key
  text/syslog.log   compressible: syslog-like lines from a seeded PRNG
  small-N/dDD/fNNN  N files of 1-8 KiB (seeded sizes), text-like content
"""
import os
import random
import shutil
import subprocess
import time

MiB = 1 << 20


def gen_random(path, size):
    """Incompressible bytes, identical on every run (fixed AES key and IV)."""
    cmd = ("openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f "
           "-iv 00000000000000000000000000000000 < /dev/zero 2>/dev/null "
           f"| head -c {size} > '{path}'")
    subprocess.run(["bash", "-c", "set -o pipefail; " + cmd + " || [ -s '" + path + "' ]"],
                   check=True)
    if os.path.getsize(path) != size:
        raise RuntimeError(f"{path}: expected {size} bytes")


_HOSTS = [f"host-{i:02d}" for i in range(24)]
_PROCS = ["sshd", "kernel", "systemd", "CRON", "nginx", "postfix/smtpd", "dockerd", "sudo"]
_USERS = [f"user{i}" for i in range(200)]
_MSGS = [
    "Accepted publickey for {u} from 10.{a}.{b}.{c} port {p} ssh2",
    "Connection closed by 10.{a}.{b}.{c} port {p} [preauth]",
    "Started Session {p} of user {u}.",
    "pam_unix(cron:session): session opened for user {u} by (uid=0)",
    '10.{a}.{b}.{c} - - "GET /api/v1/items?id={p} HTTP/1.1" 200 {b}{c}',
    "warning: hostname 10.{a}.{b}.{c} does not resolve to address",
    "EXT4-fs (vda1): mounted filesystem with ordered data mode. id={p}",
    "{u} : TTY=pts/{a} ; PWD=/home/{u} ; USER=root ; COMMAND=/usr/bin/apt update",
]


def text_blocks(seed):
    """Yields blocks of syslog-like lines, forever, deterministically."""
    rnd = random.Random(seed)
    n = 0
    stamp_cache = {}
    while True:
        lines = []
        for _ in range(4096):
            n += 1
            ts = 1700000000 + n // 50
            stamp = stamp_cache.get(ts)
            if stamp is None:
                stamp_cache.clear()
                stamp = stamp_cache[ts] = time.strftime("%b %d %H:%M:%S", time.gmtime(ts))
            v = rnd.getrandbits(64)
            msg = _MSGS[v & 7].format(u=_USERS[(v >> 3) % 200], a=(v >> 11) & 255,
                                      b=(v >> 19) & 255, c=(v >> 27) & 255, p=(v >> 35) & 65535)
            lines.append(f"{stamp} {_HOSTS[(v >> 51) % 24]} {_PROCS[(v >> 56) & 7]}"
                         f"[{(v >> 40) & 32767}]: {msg}\n")
        yield "".join(lines).encode()


def gen_text(path, size, seed=1):
    written = 0
    with open(path, "wb", buffering=4 * MiB) as f:
        for block in text_blocks(seed):
            block = block[:size - written]
            f.write(block)
            written += len(block)
            if written >= size:
                break


def gen_small(root, count, seed=7):
    """count files of 1-8 KiB in directories of 200; content sliced from a
    16 MiB text pool at seeded offsets. Returns the total bytes."""
    pool = bytearray()
    for block in text_blocks(seed + 1):
        pool += block
        if len(pool) >= 16 * MiB:
            break
    rnd = random.Random(seed)
    total = 0
    for i in range(count):
        d = os.path.join(root, f"d{i // 200:04d}")
        if i % 200 == 0:
            os.makedirs(d, exist_ok=True)
        size = rnd.randint(1024, 8192)
        off = rnd.randrange(0, len(pool) - size)
        with open(os.path.join(d, f"f{i:06d}.txt"), "wb") as f:
            f.write(pool[off:off + size])
        total += size
    return total


def make(workdir, name, size, small_count=0):
    """Creates data set `name` under workdir (once); returns (dir, bytes, files)."""
    d = os.path.join(workdir, "data", name)
    stamp = d + ".done"
    if name == "random" or name == "text":
        files = 1
    else:
        files = small_count
    want = f"{size if files == 1 else 0} {files}"
    if os.path.exists(stamp):
        with open(stamp) as f:
            have, total = f.read().rsplit(" ", 1)
        if have == want:  # made by an earlier --keep run with the same size
            return d, int(total), files
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t0 = time.monotonic()
    if name == "random":
        gen_random(os.path.join(d, "data.bin"), size)
        total = size
    elif name == "text":
        gen_text(os.path.join(d, "syslog.log"), size)
        total = size
    else:
        total = gen_small(d, small_count)
    with open(stamp, "w") as f:
        f.write(f"{want} {total}")
    print(f"bench: made {name}: {total / 1e6:.0f} MB in {files} file(s) "
          f"({time.monotonic() - t0:.0f} s)", flush=True)
    return d, total, files
