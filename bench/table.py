#!/usr/bin/env python3
"""Markdown tables of medians from pairload JSON lines (bench/compare.sh)."""
import json
import statistics
import sys
from collections import defaultdict


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, d=2):
    if v is None:
        return "–"
    if isinstance(v, float) and v >= 100:
        return f"{v:.0f}"
    return f"{v:.{d}f}" if isinstance(v, float) else str(v)


def ratio(p, r):
    if p is None or r in (None, 0):
        return "–"
    return f"{p / r:.2f}×"


def get(run, path):
    for k in path.split("."):
        if not isinstance(run, dict) or k not in run:
            return None
        run = run[k]
    return run


runs = defaultdict(lambda: defaultdict(list))
order = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    label = r.get("label") or r["scenario"]
    if label not in order:
        order.append(label)
    runs[label][r["target"]].append(r)

typing = [
    ("keystroke-to-peer p50 ms", "latency.p50_ms"),
    ("p99 ms", "latency.p99_ms"),
    ("max ms", "latency.max_ms"),
    ("server CPU ms / keystroke", "server.cpu_ms_per_keystroke"),
    ("server CPU % of a core", "server.util_of_one_core"),
    ("server peak RSS MB", "server.peak_rss_mb"),
    ("wire bytes / keystroke (client side)", "bytes_per_keystroke"),
    ("lost + late", None),
    ("load tool CPU % of a core", "tool.util_of_one_core"),
    ("tool schedule lag p99 ms", "tool.keystroke_schedule_lag.p99_ms"),
]
join = [
    ("open time ms (dial → text equal)", "join.median_ms"),
    ("document arrived ms", "join.median_arrived_ms"),
    ("Go client apply ms", "join.median_apply_ms"),
    ("bytes received", "join.median_bytes"),
    ("saved size bytes", "join.saved_bytes"),
    ("bytes / saved", "join.bytes_to_saved_ratio"),
    ("server peak RSS MB", "server.peak_rss_mb"),
]
idle = [
    ("RSS baseline MB", "idle.rss_baseline_mb"),
    ("RSS with 1,000 idle rooms MB", "idle.rss_loaded_mb"),
    ("KB per room", "idle.rss_per_room_kb"),
    ("RSS after all left (end of settle) MB", "idle.rss_after_leave_mb"),
    ("all rooms saved + unloaded s", "idle.unload_s"),
]

for label in order:
    by = runs[label]
    anyrun = (by.get("pairpad") or by.get("reference"))[0]
    sc = anyrun["scenario"]
    n = {t: len(v) for t, v in by.items()}
    print(f"\n### {label} ({sc}; runs: pairpad {n.get('pairpad', 0)}, reference {n.get('reference', 0)}; medians)\n")
    print("| metric | Pairpad | reference | Pairpad / reference |")
    print("|---|---|---|---|")
    if sc == "ramp":
        for t in ("pairpad", "reference"):
            for r in by.get(t, []):
                rr = r["ramp"]
                print(f"| {t}: rooms held at p99 ≤ {rr['p99_limit_ms']:.0f} ms | {rr['max_rooms_held']} | | stop: {rr['stop_reason']} |")
        p = med([r["ramp"]["max_rooms_held"] for r in by.get("pairpad", [])])
        q = med([r["ramp"]["max_rooms_held"] for r in by.get("reference", [])])
        print(f"| rooms held | {fmt(p)} | {fmt(q)} | {ratio(p, q)} |")
        continue
    rows = {"pair": typing, "classroom": typing, "join": join, "idle": idle}.get(sc, typing)
    for name, path in rows:
        if path is None:
            vals = {t: med([r["lost"] + r["late"] for r in v]) for t, v in by.items()}
        else:
            vals = {t: med([get(r, path) for r in v]) for t, v in by.items()}
        p, q = vals.get("pairpad"), vals.get("reference")
        if "%" in name:
            p = p * 100 if p is not None else None
            q = q * 100 if q is not None else None
        print(f"| {name} | {fmt(p)} | {fmt(q)} | {ratio(p, q)} |")
    bn = {t: sorted(set(r["bottleneck"] for r in v)) for t, v in by.items()}
    print(f"| bottleneck | {'; '.join(bn.get('pairpad', []))} | {'; '.join(bn.get('reference', []))} | |")
