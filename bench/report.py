"""bench/report.py — stage throughputs and the results table (bench/run.py)."""
import os
import re
import subprocess

MiB = 1 << 20
# The performance issue's targets: custos wall / pipeline wall at most this.
RATIO_TARGETS = {
    ("seal", "text"): 0.8, ("seal", "random"): 0.6, ("seal", "small"): 1.2,
    ("verify", "text"): 0.8, ("verify", "random"): 0.8,
    ("open", "text"): 0.8, ("open", "random"): 0.8, ("open", "small"): 1.2,
}
RSS_LIMIT = 64 * MiB
RSS_PER_FILE = 512


def kind(name):
    return "small" if name.startswith("small") else name


def stage_throughputs(b, args):
    """Each stage alone on the 1-file data sets, MB/s; plus custos_bench_stages."""
    out = {}
    for name, fname in (("random", "data.bin"), ("text", "syslog.log")):
        path = os.path.join(args.workdir, "data", name, fname)
        if not os.path.exists(path):
            continue
        size = os.path.getsize(path)
        cmds = [("read (cat, cold cache)", f"cat '{path}' > /dev/null", True),
                ("sha256 (openssl dgst)", f"openssl dgst -sha256 '{path}' > /dev/null", False),
                ("sha256 (sha256sum)", f"sha256sum '{path}' > /dev/null", False),
                ("zstd -3 -T0", f"zstd -3 -T0 -q -c '{path}' > /dev/null", False),
                ("zstd -3 -T1", f"zstd -3 -T1 -q -c '{path}' > /dev/null", False),
                ("age -r (encrypt)", f"age -r {b.age_recipient} < '{path}' > /dev/null", False)]
        subprocess.run(["bash", "-c", f"cat '{path}' > /dev/null"], check=True)
        for label, cmd, cold in cmds:
            if cold:
                b.drop_caches()
            wall, _ = b.timed(["bash", "-c", cmd], None)
            out[f"{label} [{name}]"] = size / max(wall, 0.01) / 1e6
            if cold:  # leave the cache warm for the CPU-bound stages
                subprocess.run(["bash", "-c", f"cat '{path}' > /dev/null"], check=True)
    if args.stages and os.path.exists(args.stages):
        r = subprocess.run([args.stages, "256"], capture_output=True, text=True, check=True)
        for line in r.stdout.splitlines():
            m = re.match(r"(.*?)\s+([\d.]+) MB/s$", line)
            if m:
                out["custos " + m.group(1)] = float(m.group(2))
    return out


def verdict(ratio, target):
    if target is None:
        return "(no target)"
    return f"{'yes' if ratio <= target else 'NO'} (≤ {target})"


def rss_verdict(rss_bytes, files, small):
    limit = RSS_LIMIT + (RSS_PER_FILE * files if small else 0)
    return f"{'yes' if rss_bytes <= limit else 'NO'} (≤ {limit / MiB:.1f})"


def table_rows(results):
    rows = []
    for r in results["rows"]:
        c, p = r["custos"], r["pipe"]
        mb = r["bytes"] / 1e6
        ratio = c["wall"] / p["wall"] if p["wall"] else float("inf")
        target = RATIO_TARGETS.get((r["op"], kind(r["set"])))
        ps = r.get("pipe+sync")
        sync_cell = f"{ps['wall']:.2f} ({c['wall'] / ps['wall']:.2f}×)" if ps else "—"
        # Each alternating round's own ratio: how far one run can stray.
        rounds = [cw / pw for cw, pw in zip(c.get("walls", []), p.get("walls", [])) if pw]
        spread = f"{min(rounds):.2f}–{max(rounds):.2f}" if rounds else "—"
        rows.append(
            f"| {r['set']} | {r['op']} | {c['wall']:.2f} | {mb / c['wall']:.0f} | "
            f"{c['rss_kib'] / 1024:.1f} | {p['wall']:.2f} | {mb / p['wall']:.0f} | "
            f"{p['rss_kib'] / 1024:.1f} | **{ratio:.2f}** | {spread} | {verdict(ratio, target)} | "
            f"{rss_verdict(c['rss_kib'] * 1024, r['files'], kind(r['set']) == 'small')} | "
            f"{sync_cell} |")
    return rows


def per_file_lines(results):
    """Marginal RSS per small file: (RSS on N small files - RSS on the 1-file
    random set, same operation) / N."""
    base = {r["op"]: r["custos"]["rss_kib"] * 1024 for r in results["rows"]
            if r["set"] == "random"}
    lines = []
    for r in results["rows"]:
        if kind(r["set"]) != "small" or r["op"] not in base:
            continue
        rss = r["custos"]["rss_kib"] * 1024
        per = (rss - base[r["op"]]) / r["files"]
        lines.append(f"- {r['set']} {r['op']}: peak RSS {rss / MiB:.1f} MiB, "
                     f"{per:.0f} B/file above the 1 GiB random set, one file (target ≤ {RSS_PER_FILE})")
    return lines


def render(results):
    head = ["| set | op | custos s | MB/s | RSS MiB | pipe s | MB/s | RSS MiB | "
            "custos/pipe | rounds min–max | wall target met | RSS target met (MiB) | "
            "pipe+sync s (custos/it) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cache = "cold (caches dropped before every run)" if results["cold_cache"] else "WARM"
    out = [f"size {results['size'] / MiB:.0f} MiB, median of {results['runs']} runs, "
           f"page cache {cache}; MB = 10^6 bytes of evidence (uncompressed)", ""]
    out += head + table_rows(results) + [""] + per_file_lines(results) + ["", "Stages alone:", ""]
    out += ["| stage | MB/s |", "|---|---|"]
    out += [f"| {k} | {v:.0f} |" for k, v in results["stages"].items()]
    return "\n".join(out)
