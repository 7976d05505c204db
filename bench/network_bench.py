"""Warehouse network planning's solver (issue 14 part 8): 31 provinces × N warehouses,
written to docs/performance.md:

    .venv/bin/python bench/network_bench.py [--seed 1] [--no-docs]

For N = 6, 8 and 12 warehouses (in real provinces, capitals of the busiest first), with
the carriers and rates of fulfillment/data/carriers.json (the zone model of
procurement.network for every lane) and synthetic demand per province (lognormal orders,
lognormal mean weights), times:

- one assignment MILP (procurement.network.solve, HiGHS), without and with a cap of
  35 % of the orders per warehouse;
- the page's whole solver work: the proposal plus one MILP per province capital without
  a warehouse (the new-site evaluation), as the page runs it.

No database: the carriers' book is built from the data file in memory. Median of 5 runs.
Each result is checked against the constraints (one warehouse per province, caps kept).
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from benchdb import finish, solver_bench_args, solver_machine, write_section  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "network-latest.json"
RUNS = 5
SITES = ["上海市", "广东省", "北京市", "四川省", "湖北省", "陕西省", "辽宁省",
         "新疆维吾尔自治区", "山东省", "云南省", "河南省", "福建省"]  # fmt: skip


def carrier_book():
    from mercato.fulfillment.carriers import CarrierBook
    from mercato.fulfillment.models import Carrier, DeliveryPromise, RateCard, ServiceLevel
    from mercato.fulfillment.setup import DEFAULT_FILE

    data = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    carriers, rates, levels = [], [], []
    for pk, entry in enumerate(data["carriers"], start=1):
        carriers.append(Carrier(pk=pk, code=entry["code"], name=entry["name"], supports_cod=True))
        for province, r in entry["rates"].items():
            rates.append(RateCard(
                carrier_id=pk, province=province, first_weight_g=r["first_weight_g"],
                first_fee=Decimal(r["first_fee"]), extra_weight_g=r["extra_weight_g"],
                extra_fee=Decimal(r["extra_fee"]),
            ))  # fmt: skip
        for province, days in entry["days"].items():
            levels.append(ServiceLevel(carrier_id=pk, province=province, days=days))
    promises = [DeliveryPromise(province=p, days=d) for p, d in data["promise_days"].items()]
    return CarrierBook(carriers, rates, levels, promises, [])


def main() -> None:
    args = solver_bench_args()
    from mercato.core.regions import mainland_provinces
    from mercato.procurement import network

    rng = np.random.default_rng(args.seed)
    provinces = list(mainland_provinces())
    orders = np.rint(rng.lognormal(6, 1.0, size=len(provinces)))
    grams = np.rint(rng.lognormal(7, 0.5, size=len(provinces))).astype(int)
    book = carrier_book()
    weight = network.day_weight()
    rows = []
    for n in (6, 8, 12):
        sites = SITES[:n]
        lanes = [[network.lane(book, warehouse_id=None, origin=s, province=p, weight_g=int(g))
                  for p, g in zip(provinces, grams, strict=True)] for s in sites]  # fmt: skip
        cost = np.array([[ln.cost for ln in row] for row in lanes])
        days = np.array([[ln.days for ln in row] for row in lanes])
        row = {"warehouses": n, "provinces": len(provinces)}
        for label, share in (("uncapped", None), ("capped_35", 0.35)):
            caps = np.full(n, np.inf) if share is None else np.full(n, share * orders.sum())
            timings, got = [], None
            for _ in range(RUNS):
                began = time.perf_counter()
                got = network.solve(orders, cost, days, weight=weight, caps=caps)
                timings.append(time.perf_counter() - began)
            load = np.bincount(got, weights=orders, minlength=n)
            assert (got >= 0).all() and (load <= caps + 1e-6).all()
            row[f"{label}_ms"] = round(statistics.median(timings) * 1000, 1)
        page = []
        for _ in range(RUNS):
            began = time.perf_counter()
            network.solve(orders, cost, days, weight=weight)
            candidates = [p for p in provinces if p not in sites]
            for site in candidates:
                extra = [network.lane(book, warehouse_id=None, origin=site, province=p,
                                      weight_g=int(g)) for p, g in zip(provinces, grams,
                                                                       strict=True)]  # fmt: skip
                network.solve(
                    orders, np.vstack([cost, [x.cost for x in extra]]),
                    np.vstack([days, [x.days for x in extra]]), weight=weight,
                )  # fmt: skip
            page.append(time.perf_counter() - began)
        row["page_ms"] = round(statistics.median(page) * 1000, 1)
        row["sites_evaluated"] = len(provinces) - n
        rows.append(row)
    result = {
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": rows,
        "orders": int(orders.sum()),
        "load": open("/proc/loadavg").read().strip() if os.path.exists("/proc/loadavg") else "",
        "machine": solver_machine(),
    }
    finish(result, results=RESULTS, write_docs=write_docs, no_docs=args.no_docs)


def write_docs(r: dict, command: str) -> None:
    lines = [
        f"Run {r['at']} with `{command.strip()}`.", "",
        f"- Machine: {r['machine']}; `/proc/loadavg` at the end: {r['load']}.", "",
        f"Synthetic demand of {r['orders']:,} orders over the 31 provinces, the carriers of "
        "`fulfillment/data/carriers.json`; median of 5 runs.", "",
        "| warehouses | one MILP | one MILP, cap 35 % each | page: proposal + new sites |",
        "|---|---|---|---|",
    ]  # fmt: skip
    for row in r["rows"]:
        lines.append(
            f"| 31 provinces × {row['warehouses']} | {row['uncapped_ms']} ms | "
            f"{row['capped_35_ms']} ms | {row['page_ms']} ms ({row['sites_evaluated']} sites) |"
        )
    lines += [
        "", "The page column is the solver work of one page view: the proposal, then for each "
        "province capital without a warehouse its lanes costed and the MILP solved again.",
    ]  # fmt: skip
    if r["load"] and float(r["load"].split()[0]) > (os.cpu_count() or 1):
        lines += [
            "", "**Loaded**: other helpers' tests ran beside it (load above the CPU count), "
            "so these are upper bounds; to be measured again on a quiet machine.",
        ]  # fmt: skip
    lines += ["", "Raw figures: `bench/results/network-latest.json`."]
    write_section("network-bench", "Warehouse network planning (issue 14 part 8)", "\n".join(lines))


if __name__ == "__main__":
    main()
