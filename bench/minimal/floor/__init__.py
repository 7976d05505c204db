"""The floor of `make bench`: a minimal Django project, the least Django can do per request.

No middleware, no sessions, no templates, one app: one view reads one product row through
the ORM and answers JSON, one does the conditional stock UPDATE of a reservation. It reads
and writes Mercato's own tables in the bench database (unmanaged models), so the database
work is the same as Mercato's bare views (`mercato.demo.bench_views`) and what differs is
the stack around it. bench/run.py starts it under the same gunicorn set-up as Mercato.
"""
