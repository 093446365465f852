"""The official Python client's side of each benchmark scenario (cheqpoint 0.2.0).

Run by `cargo run --release -p cheqpoint-bench` with the Python of its virtualenv; it prints the
same lines as the Rust agent (see bench/src/protocol.rs):

  start CALL NS      just before gated call CALL is made
  resumed CALL NS    the first line of the gated body of call CALL
  error CALL MSG     gated call CALL raised (the body did not run)
  auto JSON          the auto-decided scenario's report
  done               every call has ended; then it waits for stdin to close

NS is time.clock_gettime_ns(time.CLOCK_MONOTONIC): the clock the Rust side reads with
clock_gettime(CLOCK_MONOTONIC), so stamps from both processes compare.

The client is synchronous (requests, time.sleep between polls every 3 s) and has no asyncio API,
so each pending call gets a thread of its own, as its design implies. One CheqpointClient is shared
by every thread, as an application keeps one client.
"""

import argparse
import json
import logging
import sys
import threading
import time

import cheqpoint

API_KEY = "cq_test_bench"
CALL_TIMEOUT = 900  # seconds: longer than every scenario, so none times out

_out = threading.Lock()


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def emit(line):
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def arguments(call):
    """The five parameters of call CALL, the same as the Rust agent's."""
    return {
        "call": call,
        "account": "acct_%06d" % (call % 1_000_000),
        "amount_cents": 1_000 + call % 9_000,
        "memo": "Quarterly vendor payment, approved budget line 42",
        "tags": ["bench", "finance"],
    }


def gated_call(client, call, report):
    """client.guard: the Python client's "run this only after approval" (create, poll every 3 s,
    then run the body with the effective details)."""
    details = arguments(call)

    def body(ctx):
        resumed_at = now_ns()  # the first line of the gated body
        if report:
            emit("resumed %d %d" % (call, resumed_at))
        return ctx.details

    return client.guard(
        "bench_transfer",
        details,
        body,
        risk_score=0.8,
        summary="Transfer %d cents to %s (call %d)"
        % (details["amount_cents"], details["account"], call),
        timeout=CALL_TIMEOUT,
    )


def gated(client, calls):
    """Scenarios 1 and 3: CALLS gated calls at once, one thread each."""

    def one(call):
        emit("start %d %d" % (call, now_ns()))
        try:
            gated_call(client, call, True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal
            emit("error %d %s" % (call, str(error).replace("\n", " ")))

    threads = []
    for call in range(calls):
        thread = threading.Thread(target=one, args=(call,), daemon=True)
        try:
            thread.start()
        except RuntimeError as error:  # "can't start new thread"
            emit("error %d %s" % (call, error))
            continue
        threads.append(thread)
    for thread in threads:
        thread.join()


def auto(client, concurrency, warmup, seconds):
    """Scenario 2: CONCURRENCY threads, each making one call after another."""
    window_start = time.monotonic() + warmup
    window_end = window_start + seconds
    results = []
    lock = threading.Lock()

    def worker(first):
        latencies = []
        errors = 0
        call = first
        while time.monotonic() < window_end:
            began = time.monotonic()
            try:
                gated_call(client, call, False)
                failed = False
            except Exception:  # noqa: BLE001
                failed = True
            ended = time.monotonic()
            if began >= window_start and ended <= window_end:
                if failed:
                    errors += 1
                else:
                    latencies.append(int((ended - began) * 1e6))
            call += concurrency
        with lock:
            results.append((latencies, errors))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = [latency for worker_latencies, _ in results for latency in worker_latencies]
    errors = sum(worker_errors for _, worker_errors in results)
    report = {"latencies_us": latencies, "errors": errors, "seconds": seconds}
    emit("auto " + json.dumps(report))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["gated", "auto"], required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--ramp", type=float, default=0.0)  # the Rust agent's; not used here
    args = parser.parse_args()

    # urllib3 warns each time its pool (10 connections) is full and a connection is dropped:
    # expected with more threads than that, and not an error.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    client = cheqpoint.CheqpointClient(api_key=API_KEY, base_url=args.url, timeout=CALL_TIMEOUT)
    if args.scenario == "gated":
        gated(client, args.calls)
    else:
        auto(client, args.concurrency, args.warmup, args.seconds)
    emit("done")
    sys.stdin.read()


if __name__ == "__main__":
    main()
