#!/usr/bin/env python3
"""bench/run.py — custos seal/verify/open against tar | zstd | age.

Run through scripts/bench (which builds custos first). For every data set and
operation it alternates custos, the plain pipeline and the pipeline followed by
a sync of its output ("pipe+sync": fsync of out.age, one syncfs after tar -x;
custos fsyncs what it writes, the plain pipeline does not), each measured with /usr/bin/time (wall, peak RSS). Page
caches are dropped before every timed run when /proc/sys/vm/drop_caches is
writable; each contestant runs once unmeasured first. See bench/README.md.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import report  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = os.path.join(REPO, "keys", "examples")
SENDER_KEY = os.path.join(KEYS, "si-central-authority.key")
SENDER_PUB = os.path.join(KEYS, "si-central-authority.pub")
RECIP_KEY = os.path.join(KEYS, "nl-central-authority.key")
RECIP_PUB = os.path.join(KEYS, "nl-central-authority.pub")
DROP_CACHES = "/proc/sys/vm/drop_caches"


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().rstrip("IB")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.workdir
        self.custos = args.custos
        self.env = dict(os.environ, CUSTOS_HOME=os.path.join(self.work, "home"))
        self.can_drop = os.access(DROP_CACHES, os.W_OK)
        os.makedirs(os.path.join(self.work, "out"), exist_ok=True)
        self.trash_n = 0
        self.clear_trash()  # an interrupted run's
        self.fp = self.tool(["key", "fingerprint", RECIP_PUB]).strip()
        self.age_recipient = self.tool(
            ["key", "export-age", "--allow-example-keys", RECIP_PUB]).strip()
        self.age_identity = os.path.join(self.work, "age-identity.txt")
        with open(os.open(self.age_identity, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w") as f:
            f.write(self.tool(["key", "export-age", "--allow-example-keys", RECIP_KEY]))

    def tool(self, argv):
        return subprocess.run([self.custos] + argv, check=True, capture_output=True,
                              text=True, env=self.env).stdout

    def drop_caches(self):
        subprocess.run(["sync"], check=True)
        if self.can_drop:
            with open(DROP_CACHES, "w") as f:
                f.write("3\n")

    # ---- the commands ----------------------------------------------------
    def paths(self, ds):
        o = os.path.join(self.work, "out")
        return {"bundle": os.path.join(o, ds + ".custos"), "age": os.path.join(o, ds + ".age"),
                "dir": os.path.join(o, ds + ".opened")}

    def custos_argv(self, op, ds, src):
        p = self.paths(ds)
        if op == "seal":
            return [self.custos, "seal", "-q", "-k", SENDER_KEY, "-r", RECIP_PUB,
                    "--recipient-fingerprint", self.fp, "--allow-example-keys", "--force",
                    "--case", "BENCH-1", "-o", p["bundle"], src]
        common = [p["bundle"], "-q", "-k", RECIP_KEY, "--from", SENDER_PUB,
                  "--allow-example-keys"]
        if op == "verify":
            return [self.custos, "verify"] + common
        return [self.custos, "open"] + common + ["--acknowledge", "-o", p["dir"]]

    def pipeline_stages(self, op, ds, src):
        """The pipeline as a list of stage commands (shell words) and where its
        stdout goes; each stage runs under its own /usr/bin/time."""
        p = self.paths(ds)
        parent, base = os.path.dirname(src), os.path.basename(src)
        dec = [f"age -d -i '{self.age_identity}' '{p['age']}'", "zstd -d -q -c"]
        if op == "seal":
            return [f"tar -C '{parent}' -cf - '{base}'", "zstd -3 -T0 -q -c",
                    f"age -r {self.age_recipient}"], f"> '{p['age']}'"
        if op == "verify":
            # Fair equivalent of `custos verify`: decrypt, decompress, parse the
            # tar and SHA-256 every byte, writing nothing.
            return dec + ["tar -xOf -", "sha256sum"], "> /dev/null"
        return dec + [f"tar -xf - -C '{p['dir']}'"], ""

    def sync_cmd(self, op, ds):
        p = self.paths(ds)
        if op == "seal":
            return f"sync '{p['age']}'"
        if op == "open":
            # One syncfs(2) for the whole tree: what a durable pipeline would
            # do (custos's open also makes its files durable with one syncfs).
            return f"sync -f '{p['dir']}'"
        return None

    # ---- one timed run ---------------------------------------------------
    def prepare(self, op, ds):
        """Clears the way for an open: the last run's tree is set aside, not
        deleted. ext4 without a journal (as on the VM of bench/RESULTS.md)
        skips inodes freed in the last 5-10 s when it allocates, reading each
        (recently_deleted()), so deleting 20,000 files just before a run that
        creates 20,000 made that run up to twice as slow, depending on how
        long the sync and the cache drop took. The trash goes at the end of
        the data set's runs (clear_trash), outside any measurement."""
        d = self.paths(ds)["dir"]
        if op == "open" and os.path.lexists(d):
            trash = os.path.join(self.work, "trash")
            os.makedirs(trash, exist_ok=True)
            self.trash_n += 1
            os.rename(d, os.path.join(trash, str(self.trash_n)))

    def clear_trash(self):
        shutil.rmtree(os.path.join(self.work, "trash"), ignore_errors=True)

    def timed(self, argv, tfiles):
        """Runs argv under /usr/bin/time; returns (wall s, max RSS KiB over tfiles)."""
        outer = os.path.join(self.work, "t.outer")
        r = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", outer] + argv,
                           env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr[-2000:]}")
        wall = float(open(outer).read().split()[0])
        rss = 0
        for t in tfiles or [outer]:
            rss = max(rss, int(open(t).read().split()[-1]))
        return wall, rss

    def run_custos(self, op, ds, src):
        self.prepare(op, ds)
        self.drop_caches()
        return self.timed(self.custos_argv(op, ds, src), None)

    def run_pipeline(self, op, ds, src, with_sync):
        self.prepare(op, ds)
        stages, redirect = self.pipeline_stages(op, ds, src)
        tfiles, words = [], []
        for i, s in enumerate(stages):
            t = os.path.join(self.work, f"t.stage{i}")
            tfiles.append(t)
            words.append(f"/usr/bin/time -f '%e %M' -o '{t}' {s}")
        script = "set -eo pipefail; "
        if op == "open":
            script += f"mkdir '{self.paths(ds)['dir']}'; "
        script += " | ".join(words) + " " + redirect
        if with_sync:
            t = os.path.join(self.work, "t.sync")
            tfiles.append(t)
            script += f" && /usr/bin/time -f '%e %M' -o '{t}' {self.sync_cmd(op, ds)}"
        self.drop_caches()
        return self.timed(["bash", "-c", script], tfiles)

    def contestants(self, op):
        c = [("custos", lambda ds, src: self.run_custos(op, ds, src)),
             ("pipe", lambda ds, src: self.run_pipeline(op, ds, src, False))]
        if op != "verify":
            c.append(("pipe+sync", lambda ds, src: self.run_pipeline(op, ds, src, True)))
        return c

    def measure(self, op, ds, src):
        """Warm-up once each, then args.runs alternating rounds; medians."""
        contestants = self.contestants(op)
        for _, fn in contestants:
            fn(ds, src)
        samples = {name: [] for name, _ in contestants}
        for _ in range(self.args.runs):
            for name, fn in contestants:
                samples[name].append(fn(ds, src))
        self.clear_trash()
        return {name: {"wall": statistics.median(w for w, _ in s),
                       "rss_kib": max(r for _, r in s),
                       "walls": [w for w, _ in s]} for name, s in samples.items()}

    def ensure_bundles(self, ds, src):
        """verify/open alone need both sealed files."""
        p = self.paths(ds)
        if not os.path.exists(p["bundle"]):
            self.run_custos("seal", ds, src)
        if not os.path.exists(p["age"]):
            self.run_pipeline("seal", ds, src, False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--custos", required=True)
    ap.add_argument("--stages", help="custos_bench_stages binary (optional)")
    ap.add_argument("--workdir", required=True, help="scratch dir on the repo's disk")
    ap.add_argument("--size", default="1G")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["seal", "verify", "open"])
    ap.add_argument("--small-files", type=int, default=0,
                    help="also measure a set of this many small files (e.g. 200000)")
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args()
    size = parse_size(args.size)
    os.makedirs(args.workdir, exist_ok=True)
    b = Bench(args)
    sets = [("random", 0), ("text", 0), ("small-20000", 20000)]
    if args.small_files:
        sets.append((f"small-{args.small_files}", args.small_files))
    ops = [args.only] if args.only else ["seal", "verify", "open"]
    results = {"size": size, "runs": args.runs, "cold_cache": b.can_drop, "rows": [],
               "stages": {}}
    for name, count in sets:
        src, total, files = datasets.make(args.workdir, name, size, count)
        for op in ops:
            if op != "seal":
                b.ensure_bundles(name, src)
            t0 = time.monotonic()
            m = b.measure(op, name, src)
            print(f"bench: {name} {op}: custos {m['custos']['wall']:.2f} s, "
                  f"pipe {m['pipe']['wall']:.2f} s ({time.monotonic() - t0:.0f} s)", flush=True)
            results["rows"].append({"set": name, "op": op, "bytes": total, "files": files,
                                    **m})
    results["stages"] = report.stage_throughputs(b, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(report.render(results))


if __name__ == "__main__":
    main()
