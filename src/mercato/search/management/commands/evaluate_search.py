import json

from django.core.management.base import BaseCommand

from mercato.search.relevance import JUDGED_QUERIES, evaluate


class Command(BaseCommand):
    help = (
        "Measure search relevance on the judged queries (nDCG@10, zero-result rate). "
        "Needs the demo catalogue (seed_demo --seed 1) and a built index."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(JUDGED_QUERIES), help="judged queries (JSON)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--worst", type=int, default=0, help="list the N worst queries")

    def handle(self, *args, file, json: bool = False, worst: int = 0, **options):
        report = evaluate(path=file)
        if json:
            self.stdout.write(_dumps(report))
            return
        self.stdout.write(f"{'class':<10} {'queries':>7} {'nDCG@10':>8} {'zero-result':>11}")
        for kind, (n, ndcg, zero) in report.by_kind().items():
            self.stdout.write(f"{kind:<10} {n:>7} {ndcg:>8.3f} {zero:>11.1%}")
        self.stdout.write(
            f"{'all':<10} {len(report.scores):>7} {report.ndcg:>8.3f} "
            f"{report.zero_result_rate:>11.1%}"
        )
        for score in sorted(report.scores, key=lambda s: s.ndcg)[:worst]:
            self.stdout.write(f"  {score.ndcg:.3f} {score.kind:<10} {score.query} ({score.found})")


def _dumps(report) -> str:
    return json.dumps(
        {
            "ndcg_at_10": round(report.ndcg, 4),
            "zero_result_rate": round(report.zero_result_rate, 4),
            "classes": {
                kind: {"queries": n, "ndcg_at_10": round(ndcg, 4), "zero_result_rate": zero}
                for kind, (n, ndcg, zero) in report.by_kind().items()
            },
        },
        ensure_ascii=False,
        indent=2,
    )
