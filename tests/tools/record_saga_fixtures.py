#!/usr/bin/env python3
"""Records tests/fixtures/sagas/*.json from a running agora-node.

Runs one real checkout per scenario through the node's HTTP API, waits for it
to end, and exports the saga's journal with `agora-saga export`:

  completed         tok_ok
  payment_declined  tok_declined       (compensated, payment_declined)
  payment_failed    tok_capture_fails  (compensated, payment_failed)
  out_of_stock      tok_ok; the stock of one line is taken away between
                    adding it to the cart and the checkout, so the checkout
                    is refused before its first step
                                       (compensated, out_of_stock)
  payment_timed_out tok_slow: every authorization attempt times out, the
                    compensation learns the late outcome and voids it
                                       (compensated, payment_failed; ~30 s)

With --scenario closed_by_operator instead, against a node whose
reservations expire before capture completes (e.g. started with
--inventory.reservation_ttl_s=1 --payments.gateway_latency_ms=1200):

  closed_by_operator  tok_ok; commit_inventory finds its reservation expired
                      after the pivot, so the saga is stuck; `agora-saga resume`
                      retries it (stuck again), `agora-saga compensate --reason`
                      closes it by hand (failed)

Usage (the node and agora-saga must use the same database):

  tests/tools/record_saga_fixtures.py --url http://127.0.0.1:8080 \
      --saga build/release/tools/agora-saga/agora-saga --out tests/fixtures/sagas \
      -- --pg.conninfo='host=127.0.0.1 port=5433 dbname=agora user=postgres'

out_of_stock_at_reservation.json is not recorded by this script: the stock
has to go between the checkout's admission and its reservation, a race no
script can time. It was recorded before admissions existed, by the
out_of_stock scenario above.

Arguments after `--` go to agora-saga (configuration flags). Standard library
only.
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postal_code": "SW1Y 4JH", "country": "GB"}


def call(base, method, path, body=None, token=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            text = res.read().decode()
            return res.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text else None


def must(status_body, *ok):
    status, body = status_body
    if status not in ok:
        sys.exit(f"unexpected answer {status}: {body}")
    return body


def checkout(base, lines, token_name, before=None, until=None):
    cart = must(call(base, "POST", "/api/v1/carts"), 201, 200)["cart_id"]
    for sku, qty in lines:
        must(call(base, "POST", f"/api/v1/carts/{cart}/items", {"sku": sku, "quantity": qty}),
             200, 201)
    if before:
        before()
    status, body = call(base, "POST", f"/api/v1/carts/{cart}/checkout?wait=true",
                        {"shipping_address": ADDRESS,
                         "payment": {"method": "card", "token": token_name}},
                        headers={"Idempotency-Key": str(uuid.uuid4())})
    if status in (201, 202):
        checkout_id = body["checkout_id"]
    elif status == 422:
        checkout_id = body["error"]["details"]["checkout_id"]
    else:
        sys.exit(f"checkout answered {status}: {body}")
    # Wait for a terminal status (?wait=true may answer 202 while running).
    for _ in range(900):
        st = must(call(base, "GET", f"/api/v1/checkouts/{checkout_id}"), 200)
        if st["status"] in ("completed", "compensated", "failed", until):
            return checkout_id, st
        time.sleep(0.1)
    sys.exit(f"checkout {checkout_id} did not finish: {st}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--saga", required=True, help="the agora-saga binary")
    ap.add_argument("--out", required=True, help="folder for the fixtures")
    ap.add_argument("--email", default="admin@agora.local")
    ap.add_argument("--password", default="agora-admin-dev")
    ap.add_argument("--scenario", action="append",
                    help="record only these (default: the four of the default node)")
    ap.add_argument("saga_args", nargs="*")
    args = ap.parse_args()
    base = args.url.rstrip("/")

    admin = must(call(base, "POST", "/api/v1/auth/login",
                      {"email": args.email, "password": args.password}), 200)["token"]
    # A product with one unit in stock, for the out-of-stock scenario: the
    # cart takes it while it is there, then the unit is written off.
    scarce = "FX-" + uuid.uuid4().hex[:8].upper()
    must(call(base, "POST", "/api/v1/products",
              {"sku": scarce, "name": "Fixture scarce item", "description": "one in stock",
               "price_cents": 1500, "currency": "USD", "category": "Fixtures",
               "initial_stock": 1}, token=admin), 201)
    in_stock = must(call(base, "GET", "/api/v1/products?limit=1"), 200)["items"][0]["sku"]

    def write_off():
        must(call(base, "POST", f"/api/v1/inventory/{scarce}/adjust",
                  {"delta": -1, "reason": "fixture: damaged"}, token=admin), 200)

    def wait_status(checkout_id, status):
        for _ in range(100):
            st = must(call(base, "GET", f"/api/v1/checkouts/{checkout_id}"), 200)
            if st["status"] == status:
                return st
            time.sleep(0.1)
        sys.exit(f"checkout {checkout_id} is not {status}: {st}")

    def resume_then_close(checkout_id):
        # Stuck after the pivot: resume once through agora-saga (the retry
        # fails the same way, stuck again), then close it by hand.
        tool = [args.saga, "--url", base, *args.saga_args]
        subprocess.run([*tool[:1], "resume", checkout_id, *tool[1:]], check=True)
        time.sleep(0.5)
        wait_status(checkout_id, "stuck")
        subprocess.run([*tool[:1], "compensate", checkout_id, *tool[1:],
                        "--reason", "stock committed by hand (fixture)"], check=True)
        return wait_status(checkout_id, "failed")

    # name: (cart lines, payment token, before checkout, status and reason
    # (or its beginning) when the checkout ends or sticks, what to do then)
    scenarios = {
        "completed": ([(in_stock, 2)], "tok_ok", None, ("completed", None), None),
        "payment_declined": ([(in_stock, 1)], "tok_declined", None,
                             ("compensated", "payment_declined"), None),
        "payment_failed": ([(in_stock, 1)], "tok_capture_fails", None,
                           ("compensated", "payment_failed"), None),
        "out_of_stock": ([(in_stock, 1), (scarce, 1)], "tok_ok", write_off,
                         ("compensated", "out_of_stock"), None),
        "payment_timed_out": ([(in_stock, 1)], "tok_slow", None,
                              ("compensated", "payment_failed"), None),
        "closed_by_operator": ([(in_stock, 1)], "tok_ok", None,
                               ("stuck", "commit_inventory keeps failing"),
                               resume_then_close),
    }
    wanted = args.scenario or [n for n in scenarios if n != "closed_by_operator"]
    for name in wanted:
        lines, tok, before, (want_status, want_reason), after = scenarios[name]
        checkout_id, st = checkout(base, lines, tok, before, want_status)
        reason = st.get("reason")
        if st["status"] != want_status or not (
                reason == want_reason or (want_reason and (reason or "").startswith(want_reason))):
            sys.exit(f"{name}: expected {want_status}/{want_reason}, got {st}")
        if after:
            after(checkout_id)
        out = subprocess.run([args.saga, "export", checkout_id, *args.saga_args],
                             check=True, capture_output=True, text=True).stdout
        path = f"{args.out}/{name}.json"
        with open(path, "w") as f:
            f.write(out)
        print(f"{name}: checkout {checkout_id} -> {path}")


if __name__ == "__main__":
    main()
