"""Rebalancing's solver (issue 14 part 7) for 5,000 SKUs × 8 warehouses, written to
docs/performance.md:

    .venv/bin/python bench/rebalance_bench.py [--skus 5000] [--seed 1] [--no-docs]

Times procurement.rebalance.solve — the block LPs (HiGHS dual simplex, BATCH SKUs per LP)
and the reading back of whole-unit moves — on synthetic positions and demand: 8
warehouses in real provinces (distance-based default costs), each SKU's daily demand per
warehouse drawn from a gamma distribution, stock spread unevenly so most SKUs need moves.
The database reads of rebalance.suggest (stock, orders of 30 days, transit) are not in
this figure. Median of 5 runs. Each SKU's result is checked: no warehouse gives below its
target or receives above it.
"""

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from benchdb import finish, solver_bench_args, solver_machine, write_section  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "rebalance-latest.json"
RUNS = 5
PROVINCES = [
    "上海市",
    "广东省",
    "北京市",
    "四川省",
    "湖北省",
    "陕西省",
    "辽宁省",
    "新疆维吾尔自治区",
]


def main() -> None:
    args = solver_bench_args(skus=5000)
    from mercato.procurement import rebalance

    rng = np.random.default_rng(args.seed)
    w = len(PROVINCES)
    cost = np.array([[rebalance.default_unit_cost(a, b) for b in PROVINCES] for a in PROVINCES])
    np.fill_diagonal(cost, 0)
    rate = rng.gamma(0.8, 2.0, size=(args.skus, w))
    target = np.ceil(rate * 14).astype(np.int64)
    total = (target.sum(axis=1) * rng.uniform(0.6, 1.4, size=args.skus)).astype(np.int64)
    share = rng.dirichlet(np.full(w, 0.7), size=args.skus)
    position = np.floor(share * total[:, None]).astype(np.int64)
    penalty = 20.0

    timings, moves = [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        moves = rebalance.solve(position, target, cost, penalty)
        timings.append(time.perf_counter() - began)
    after = position - moves.sum(axis=2) + moves.sum(axis=1)
    surplus_side = position > target
    assert (after[surplus_side] >= target[surplus_side]).all()
    assert (after[~surplus_side] <= np.maximum(target, position)[~surplus_side]).all()
    moving = int((moves.sum(axis=(1, 2)) > 0).sum())
    short_before = int(np.maximum(target - position, 0).sum())
    short_after = int(np.maximum(target - after, 0).sum())
    result = {
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "skus": args.skus,
        "warehouses": w,
        "batch": rebalance.BATCH,
        "s_median": round(statistics.median(timings), 2),
        "s_max": round(max(timings), 2),
        "skus_with_moves": moving,
        "units_moved": int(moves.sum()),
        "transport_cost": round(float((moves * cost).sum()), 2),
        "units_short_before": short_before,
        "units_short_after": short_after,
        "machine": solver_machine(),
    }
    finish(result, results=RESULTS, write_docs=write_docs, no_docs=args.no_docs)


def write_docs(r: dict, command: str) -> None:
    lines = [
        f"Run {r['at']} with `{command.strip()}`.", "", f"- Machine: {r['machine']}", "",
        f"`procurement.rebalance.solve` for {r['skus']:,} SKUs × {r['warehouses']} warehouses "
        f"(block LPs of {r['batch']:,} SKUs, HiGHS dual simplex), median of {RUNS} runs: "
        f"**{r['s_median']} s** (max {r['s_max']} s; target under 10 s). "
        f"{r['skus_with_moves']:,} SKUs get moves, {r['units_moved']:,} units, transport "
        f"¥{r['transport_cost']:,}; units short of target {r['units_short_before']:,} → "
        f"{r['units_short_after']:,}. Database reads of `rebalance.suggest` not included.",
        "", "Raw figures: `bench/results/rebalance-latest.json`.",
    ]  # fmt: skip
    write_section(
        "rebalance-bench", "Rebalancing between warehouses (issue 14 part 7)", "\n".join(lines)
    )


if __name__ == "__main__":
    main()
