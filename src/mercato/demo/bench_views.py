"""Bare views for benchmarks: the floor each page is compared with. Only with MERCATO_BENCH_VIEWS."""

urlpatterns: list = []
