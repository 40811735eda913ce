"""The recall look-up over 100k generated cases: how long a reviewer waits for the patients of
a recalled device.

    python bench/recall_bench.py [--count 100000] [--repeat 5] [--fresh] [--no-postgres]

The data are review_bench.py's (the same databases, made the same way: ``generate_cases``,
then ANALYZE). In a child process with production settings (DEBUG off), Django's test Client,
logged in as a superuser, times the look-up by one serial, by one lot, and of a device's every
lot (its first and last pages of 100), and the CSV export of one lot: the median of
``--repeat`` requests after a warm-up, to the last byte, with the query count. The table is
printed and written to bench/RESULTS-recall.md. The issue asks for well under a second.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import review_bench

ROOT = review_bench.ROOT
RESULTS = ROOT / "bench" / "RESULTS-recall.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="Drop the bench databases first.")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", choices=["measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "measure":
        return measure(args.repeat)

    databases = {"SQLite": review_bench.sqlite_url(fresh=args.fresh)}
    if not args.no_postgres and review_bench.postgres_up():
        databases["PostgreSQL"] = review_bench.postgres_url(fresh=args.fresh)
    results = {}
    for name, url in databases.items():
        print(f"\n== {name}: preparing {args.count} cases", flush=True)
        prepared = review_bench.child(url, "prepare", "--count", str(args.count))
        print(f"== {name}: measuring", flush=True)
        measured = review_bench.child(url, "measure", "--repeat", str(args.repeat), script=__file__)
        results[name] = {**measured, **prepared}
    report = render(results, args)
    print("\n" + report)
    RESULTS.write_text(report)
    print(f"Written to {RESULTS.relative_to(ROOT)}")


def measure(repeat: int) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client

    from checklists.models import Implant

    user, _ = get_user_model().objects.get_or_create(
        username=review_bench.BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    # The device with the most implants, one of its lots with the most implants, and a serial.
    gtin = Implant.objects.values("gtin").annotate(n=Count("pk")).order_by("-n").first()["gtin"]
    lot = (
        Implant.objects.filter(gtin=gtin)
        .values("lot")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["lot"]
    )
    serial = (
        Implant.objects.filter(gtin=gtin)
        .order_by("pk")
        .values_list("serial", flat=True)[Implant.objects.filter(gtin=gtin).count() // 2]
    )
    every_lot = Implant.objects.filter(gtin=gtin).count()
    last_page = (every_lot + 99) // 100
    pages = [
        ("Recall look-up, one serial", f"/review/recalls/?gtin={gtin}&serial={serial}"),
        ("Recall look-up, one lot", f"/review/recalls/?gtin={gtin}&lot={lot}"),
        (
            f"Recall look-up, every lot ({every_lot} implants), first page",
            f"/review/recalls/?gtin={gtin}",
        ),
        ("Recall look-up, every lot, last page", f"/review/recalls/?gtin={gtin}&page={last_page}"),
    ]
    timings = []
    for label, url in pages:
        timed = review_bench.time_page(client, url, repeat)
        timings.append({"page": label, "url": url, "ours": timed})
        print(f"{label}: {timed['ms']:.0f} ms, {timed['queries']} queries")
    for label, url in [
        ("Recall export, one lot", f"/review/recalls/export/?gtin={gtin}&lot={lot}"),
        ("Recall export, every lot", f"/review/recalls/export/?gtin={gtin}"),
    ]:
        timed = review_bench.time_export(client, url)
        timings.append({"page": label, "url": url, "ours": timed})
        print(f"{label}: {timed['rows']} rows in {timed['ms']:.0f} ms")
    print(json.dumps({"timings": timings}))


def render(results: dict, args: argparse.Namespace) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# The recall look-up over generated cases",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}",
        f"- load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        f"- commit: {commit}",
        f"- command: `python bench/recall_bench.py --count {args.count} --repeat {args.repeat}`",
        "",
    ]
    for name, result in results.items():
        data = ", ".join(f"{count} {what}" for what, count in result["data"].items())
        lines.append(f"- {name} {result['server']}: {data}")
    names = list(results)
    lines += ["", "| look-up | " + " | ".join(f"{n} ms | queries" for n in names) + " |"]
    lines.append("|---" * (1 + 2 * len(names)) + "|")
    for index, timing in enumerate(results[names[0]]["timings"]):
        cells = [timing["page"]]
        for name in names:
            ours = results[name]["timings"][index]["ours"]
            rows = f" ({ours['rows']} rows)" if "rows" in ours else ""
            cells += [f"{ours['ms']:.0f}{rows}", str(ours["queries"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "URLs (first database):", ""]
    lines += [f"- {t['page']}: `{t['url']}`" for t in results[names[0]]["timings"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
