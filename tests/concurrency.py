"""Races for the concurrency tests: calls released at the same moment on their own threads,
each with its own database connection (PostgreSQL row locks are what these tests test)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_together(calls, timeout: float = 120) -> tuple[list, list]:
    """Run each call in its own thread, released together by a barrier; returns (results,
    errors) in call order, an error being the exception a call raised (None if it returned).
    Each thread connects before the start (not in the race) and closes its connection at the
    end."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def worker(i, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which judges it
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results, errors


def all_at_once(calls) -> list:
    """The calls (HTTP requests to a live server, say) in parallel threads released together by
    a barrier; their results in call order, or the first exception raised."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
