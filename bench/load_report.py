"""The figures bench/load.py prints: per page, requests/s, latency percentiles (client side, and the app's own
time for each request from its request log), errors by status, and each page's throughput against the bare
signed-in endpoint's in the same run."""
import json
from collections import Counter, defaultdict
from pathlib import Path

from load_flows import BARE, CONFLICT, Sample


def server_times(log: Path) -> dict[str, float]:
    """request id -> the app's duration_ms, from its JSON request log (one line a request,
    inclusive_access/observability.py): the time in the app, without gunicorn's queue or the network."""
    times = {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"request_id": "load-' in line:
            entry = json.loads(line)
            if entry.get("duration_ms") is not None:
                times[entry["request_id"]] = entry["duration_ms"]
    return times


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest rank."""
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms) + 0.5) - 1))]


def errors_by_status(samples: list[Sample]) -> dict[str, int]:
    """Answers that were neither the page working nor a lost race, by status (0: no answer)."""
    errors = Counter(s.status for s in samples if not s.ok and s.status != CONFLICT)
    return {str(k): v for k, v in sorted(errors.items())}


def _latency(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "mean_ms": sum(ms) / len(ms)} if ms else {}


def summarise(samples: list[Sample], seconds: float, solo_rates: dict[str, float], server: dict[str, float]) -> dict:
    """Per page and in total. "x_bare": the bare endpoint's mean time over the page's, the app's own time when the
    server log is read (a worker's throughput on a page is 1 / its time there), else the client's (which includes
    waiting in gunicorn's queue behind other pages, so it understates the gap); "solo_x_bare": measured alone."""
    by_page: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_page[s.page].append(s)
    pages = {}
    for page, rows in sorted(by_page.items(), key=lambda kv: (kv[0] != BARE, kv[0])):
        srv = [server[s.request_id] for s in rows if s.request_id in server]
        pages[page] = {"requests": len(rows), "rps": len(rows) / seconds, **_latency([s.ms for s in rows]),
                       "server": _latency(srv), "conflicts": sum(1 for s in rows if s.status == CONFLICT),
                       "errors": errors_by_status(rows)}
    bare = pages.get(BARE)
    for page, row in pages.items():
        if bare and bare["server"] and row["server"]:
            row["x_bare"] = bare["server"]["mean_ms"] / row["server"]["mean_ms"]
        elif bare:
            row["x_bare"] = bare["mean_ms"] / row["mean_ms"]
        if page in solo_rates and BARE in solo_rates:
            row["solo_rps"], row["solo_x_bare"] = solo_rates[page], solo_rates[page] / solo_rates[BARE]
    totals = {"requests": len(samples), "rps": len(samples) / seconds, **_latency([s.ms for s in samples]),
              "conflicts": sum(1 for s in samples if s.status == CONFLICT), "errors": errors_by_status(samples)}
    return {"pages": pages, "totals": totals, "x_bare_from": "server" if server else "client"}


def _cells(values: list, width: int = 7, digits: int = 0) -> str:
    return " ".join(f"{v:>{width}.{digits}f}" if isinstance(v, int | float) else f"{'':>{width}}" for v in values)


def table(result: dict) -> str:
    solo_run = any("solo_rps" in row for row in result["pages"].values())
    columns = ["n", "req/s", "p50", "p95", "p99", "mean", "srv p50", "srv p95", "srv mean", "x bare"]
    columns += ["solo/s", "x bare"] if solo_run else []
    head = f"{'page':<36} " + " ".join(f"{c:>{8 if c.startswith('srv') else 7}}" for c in columns)
    lines = [head + "  errors by status (409 = lost race)", "-" * len(head)]
    for page, r in result["pages"].items():
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
        errors += f"; 409: {r['conflicts']}" if r["conflicts"] else ""
        srv = r["server"]
        line = (f"{page[:36]:<36} {r['requests']:>7} {r['rps']:>7.1f} "
                f"{_cells([r['p50_ms'], r['p95_ms'], r['p99_ms'], r['mean_ms']])} "
                f"{_cells([srv.get('p50_ms'), srv.get('p95_ms'), srv.get('mean_ms')], 8)} {r.get('x_bare', 0):>7.2f}")
        if solo_run:
            line += f" {_cells([r.get('solo_rps')], digits=1)} {_cells([r.get('solo_x_bare')], digits=2)}"
        lines.append(f"{line}  {errors}")
    t = result["totals"]
    lines.append("-" * len(head))
    if t["requests"]:
        errors = ", ".join(f"{k}: {v}" for k, v in t["errors"].items()) or "0"
        lines.append(f"{'total':<36} {t['requests']:>7} {t['rps']:>7.1f} "
                     f"{_cells([t['p50_ms'], t['p95_ms'], t['p99_ms'], t['mean_ms']])}  errors {errors}; "
                     f"409: {t['conflicts']}")
    lines.append(f"x bare: the bare endpoint's mean {result['x_bare_from']} time over the page's, in the mix"
                 + ("; solo: requests/s with the page alone over the bare endpoint's alone" if solo_run else ""))
    return "\n".join(lines)
