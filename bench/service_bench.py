"""Customer service's figures (issue 15) on PostgreSQL, written to docs/performance.md:

1. the ticket list over 1,000,000 tickets, filtered and paginated (each filter's first
   page and count, median of 7, and whether its plan scans the whole ticket table);
2. the customer look-up by the phone number a caller gives, among 200,000 customers and
   their guest orders (service.story.find_by_phone), and the customer's whole story.

    MERCATO_BENCH_DB=mercato_service_bench .venv/bin/python bench/service_bench.py \
        [--tickets 1000000] [--customers 200000] [--no-docs]

The database is dropped and created again. One customer, one ticket with a message, and
one order come through the real services; the rest are copied from them in SQL with new
ids, numbers, phones, statuses and dates (INSERT ... SELECT generate_series).
"""

import argparse
import logging
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchdb import recreate_database, save_results, setup_django, timed, write_section
from orders_bench import copy_rows, machine, reset_sequence

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "service-latest.json"
RUNS = 7


def seed(tickets: int, customers: int) -> dict:
    from django.db import connection, transaction

    from mercato.service import services
    from mercato.testing.fulfillment import make_customer, make_shop, make_sku, place, stock

    with transaction.atomic():
        warehouses = make_shop()
        sku = make_sku(price="50.00")
        for warehouse in warehouses.values():
            stock(sku, warehouse, 10_000)
        customer = make_customer("13900000000", name="王芳")
        order = place(customer, (sku, 1))
        ticket = services.create_ticket(
            actor=None, channel="phone", category="order_status", subject="订单什么时候发货",
            body="客户来电询问发货时间", customer_id=customer.pk,
            contact_phone="13900000000", order_numbers=[order.number],
        )  # fmt: skip
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute("SELECT max(id) FROM core_user")
        user_base = cursor.fetchone()[0] + 10
        copy_rows(cursor, "core_user", f"t.id = {customer.user_id}", customers, {
            "id": f"{user_base} + g", "username": "'bench-' || g", "phone": "''",
        })  # fmt: skip
        cursor.execute("SELECT max(id) FROM customers_customer")
        customer_base = cursor.fetchone()[0] + 10
        copy_rows(cursor, "customers_customer", f"t.id = {customer.pk}", customers, {
            "id": f"{customer_base} + g", "user_id": f"{user_base} + g",
            "mobile": "'13' || lpad((100000000 + g)::text, 9, '0')", "email": "NULL",
        })  # fmt: skip
        # Guest orders: one for every 20th customer's number, without the customer.
        cursor.execute("SELECT max(id) FROM orders_order")
        order_base = cursor.fetchone()[0] + 10
        copy_rows(cursor, "orders_order", f"t.id = {order.pk}", customers // 20, {
            "id": f"{order_base} + g", "number": "'2024' || lpad(g::text, 11, '0')",
            "customer_id": "NULL", "guest_token": "md5(g::text)", "idempotency_key": "''",
            "mobile": "'13' || lpad((100000000 + g * 20)::text, 9, '0')",
        })  # fmt: skip
        cursor.execute("SELECT max(id) FROM service_ticket")
        ticket_base = cursor.fetchone()[0] + 10
        # Like a shop's history: the newest 2 % (the last week at a ticket every 30 s) are
        # in every status, most of them within their SLA; older tickets were answered and
        # resolved (closed or resolved), so only a few hundred open tickets are overdue.
        statuses = "(ARRAY['new','open','pending','resolved','closed','closed','closed'])"
        old_statuses = "(ARRAY['resolved','closed','closed','closed'])"
        categories = (
            "(ARRAY['product','order_status','delivery','return','complaint','invoice','other'])"
        )
        recent = max(tickets // 50, 1)
        created = "now() - (g * interval '30 seconds')"
        status = (
            f"CASE WHEN g <= {recent} THEN {statuses}[1 + g % 7] ELSE {old_statuses}[1 + g % 4] END"
        )
        answered = f"{status} NOT IN ('new') OR g % 97 = 0"
        copy_rows(cursor, "service_ticket", f"t.id = {ticket.pk}", tickets, {
            "id": f"{ticket_base} + g", "number": "'TKB' || lpad(g::text, 12, '0')",
            "status": status, "category": f"{categories}[1 + g % 7]",
            "priority": "(ARRAY['low','normal','normal','high','urgent'])[1 + g % 5]",
            "customer_id": f"CASE WHEN g % 3 = 0 THEN NULL ELSE {customer_base} + 1 + g % "
                           f"{customers} END",
            "contact_phone": "'13' || lpad((100000000 + g % 200000)::text, 9, '0')",
            "contact_email": "CASE WHEN g % 4 = 0 THEN 'buyer' || g || '@example.com' ELSE '' END",
            "contact_name": "(ARRAY['王芳','李娜','张伟','刘洋','陈静'])[1 + g % 5] || (g % 1000)",
            "subject": "(ARRAY['订单什么时候发货','退货进度','发票抬头','商品咨询','投诉快递'])"
                       "[1 + g % 5] || ' ' || g",
            "created_at": created, "updated_at": created,
            "first_response_due": f"{created} + interval '4 hours'",
            "resolution_due": f"{created} + interval '1 day'",
            # Answered within the hour, except a few that were missed.
            "first_responded_at": f"CASE WHEN {answered} THEN {created} + interval '1 hour' END",
            "resolved_at": f"CASE WHEN {status} IN ('resolved','closed') "
                           f"THEN {created} + interval '20 hours' END",
            "closed_at": f"CASE WHEN {status} = 'closed' THEN {created} + interval '3 days' END",
            "assignee_id": "t.assignee_id", "queue_id": "t.queue_id",
        })  # fmt: skip
        for table in ("core_user", "customers_customer", "orders_order", "service_ticket"):
            reset_sequence(cursor, table)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"customer_base": customer_base, "customers": customers}


def plan_scans_tickets(queryset) -> bool:
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # nothing matched: the page asks the database nothing
        return False
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return bool(re.search(r"Seq Scan on service_ticket", plan))


def bench_tickets() -> dict:
    """Each filter's first page and its (capped) count as the back office reads them, and
    the whole back-office page (view, SLA timers, template) for a supervisor."""
    from django.test import Client
    from django.urls import reverse

    from mercato.service import selectors
    from mercato.staff import services as staff_services

    filters = {
        "no filter (newest first)": {},
        "status open": {"status": "open"},
        "category complaint": {"category": "complaint"},
        "priority urgent": {"priority": "urgent"},
        "SLA breached": {"breached": True},
        "ticket number": {"q": "TKB000000500000"},
        "caller's phone": {"q": "139 0000 0000"},
        "email": {"q": "buyer400000@example.com"},
        "contact's name": {"q": "李娜501"},
        "subject words (common)": {"q": "退货进度"},
        "subject words (one ticket)": {"q": "发票抬头 777777"},
        "subject words (two characters, none)": {"q": "退款"},
        "subject words (middle of a word)": {"q": "货进"},
        "status + category": {"status": "pending", "category": "delivery"},
        "closed + complaint": {"status": "closed", "category": "complaint"},
    }
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.filter(username="bench-lead").first()  # --reuse-db
    lead = lead or staff_services.create_staff(
        actor=None, username="bench-lead", password="pass-1234-word", department_code="service",
        employee_no="EBENCH0001", display_name="bench-lead", role_codes=["service_lead"],
    ).user  # fmt: skip
    client = Client()
    client.force_login(lead)
    url = reverse("backoffice:ticket_list")
    results = {}
    for label, data in filters.items():

        def page(data=data):
            current = selectors.ticket_page(filters=data, number=1)
            return len(list(current.object_list)), current.paginator.count

        def whole_page(data=data):
            query = {k: ("on" if v is True else v) for k, v in data.items()}
            response = client.get(url, query)
            assert response.status_code == 200, response.status_code
            return response

        median, worst, (rows, count) = timed(page, runs=RUNS)
        page_median, page_worst, _response = timed(whole_page, runs=RUNS)
        first_page = selectors.ticket_list(filters=data)[: selectors.LIST_PAGE_SIZE]
        results[label] = {
            "ms_median": median, "ms_max": worst, "rows": rows, "count": count,
            "page_ms_median": page_median, "page_ms_max": page_worst,
            "seq_scan_on_tickets": plan_scans_tickets(first_page),
        }  # fmt: skip
    return results


def bench_lookup(seeded: dict) -> dict:
    from mercato.service.story import customer_story, find_by_phone

    member = "13" + str(100000000 + seeded["customers"] // 2).zfill(9)
    guest = "13" + str(100000000 + 20 * 1000).zfill(9)
    said = f"+86 {member[:3]} {member[3:7]} {member[7:]}"
    median, worst, found = timed(lambda: find_by_phone(said), runs=RUNS)
    g_median, g_worst, g_found = timed(lambda: find_by_phone(guest), runs=RUNS)
    customer_id = found.customers[0].pk
    s_median, s_worst, story = timed(lambda: customer_story(customer_id=customer_id), runs=RUNS)
    return {
        "member by phone": {"ms_median": median, "ms_max": worst,
                            "customers": len(found.customers)},
        "guest orders by phone": {"ms_median": g_median, "ms_max": g_worst,
                                  "guest_orders": len(g_found.guest_orders)},
        "whole story of the customer": {"ms_median": s_median, "ms_max": s_worst,
                                        "tickets": len(story.tickets)},
    }  # fmt: skip


def write_docs(result: dict, command: str) -> None:
    t, lookup = result["tickets"], result["lookup"]
    lines = [
        f"Run {result['at']} with `{command}`.", "", f"- Machine: {result['machine']}", "",
        f"**Ticket list** over {result['ticket_count']:,} tickets ({result['open']:,} open, "
        f"{result['breached']:,} past an SLA due time): each filter's first page of 30 and "
        f"its count (capped at 10,001), median of {RUNS} runs; and the whole back-office "
        "page (view, SLA timers, template) for a supervisor:", "",
        "| filter | median ms | max ms | whole page median ms | whole page max ms | rows | "
        "count | sequential scan of tickets |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]  # fmt: skip
    for label, q in t.items():
        lines.append(
            f"| {label} | {q['ms_median']} | {q['ms_max']} | {q['page_ms_median']} | "
            f"{q['page_ms_max']} | {q['rows']} | {q['count']:,} | "
            f"{'yes' if q['seq_scan_on_tickets'] else 'no'} |"
        )
    lines += [
        "", f"**Look-up by phone** among {result['customers']:,} customers "
        f"(`service.story.find_by_phone`, median of {RUNS} runs):", "",
        "| look-up | median ms | max ms |", "|---|---:|---:|",
    ]  # fmt: skip
    for label, q in lookup.items():
        lines.append(f"| {label} | {q['ms_median']} | {q['ms_max']} |")
    lines += ["", "Raw figures: `bench/results/service-latest.json`."]
    write_section("service-bench", "Customer service (issue 15)", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--reuse-db", action="store_true", help="seeded by an earlier run")
    args = parser.parse_args()
    name = os.environ.get("MERCATO_BENCH_DB", "mercato_service_bench")
    if not args.reuse_db:
        recreate_database(name)
    setup_django(
        name,
        without=("REDIS_URL", "CELERY_BROKER_URL"),
        defaults={"MERCATO_PAYMENT_METHODS": "cod,sandbox", "MERCATO_UNSAFE_ALLOW_SANDBOX": "1"},
    )
    logging.disable(logging.INFO)
    from django.utils import timezone

    from mercato.service.models import OPEN_STATUSES, Ticket
    from mercato.service.selectors import breached_q

    seeded = {"customers": args.customers} if args.reuse_db else seed(args.tickets, args.customers)
    result = {
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "ticket_count": Ticket.objects.count(),
        "open": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "breached": Ticket.objects.filter(breached_q(timezone.now())).count(),
        "customers": args.customers,
        "tickets": bench_tickets(),
        "lookup": bench_lookup(seeded),
        "machine": machine(),
    }
    save_results(RESULTS, result)
    if not args.no_docs:
        write_docs(result, "python bench/service_bench.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
