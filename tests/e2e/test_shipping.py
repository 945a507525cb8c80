"""Shipping quotes: nearest warehouse, haversine distance and the integer cost
formula of API.md, recomputed here independently; coordinate validation."""

import math
import os
import re
import unittest
import urllib.parse

import harness

EARTH_RADIUS_KM = 6371.0088
# Passed as flags so the expected costs do not depend on the defaults.
BASE_CENTS = 250
CENTS_PER_KM = 3


def default_warehouses():
    """The default warehouses, read from config/config.hpp (the node is
    started without overriding them)."""
    path = os.path.join(harness.REPO_ROOT, "config", "config.hpp")
    with open(path) as f:
        text = f.read()
    m = re.search(r"std::vector<warehouse>\s+warehouses\s*=\s*\{(.*?)\};", text, re.S)
    if not m:
        raise AssertionError("cannot find the default warehouses in %s" % path)
    found = re.findall(r'\{\s*"([^"]+)"\s*,\s*([-0-9.eE+]+)\s*,\s*([-0-9.eE+]+)\s*\}', m.group(1))
    if not found:
        raise AssertionError("cannot parse the default warehouses in %s" % path)
    return [(name, float(lat), float(lon)) for name, lat, lon in found]


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def cost_cents(distance_m):
    """base + round_half_up(distance_m * cents_per_km / 1000), integers only."""
    return BASE_CENTS + (distance_m * CENTS_PER_KM + 500) // 1000


def expected_quote(lat, lon):
    """(warehouse, km, cost) or None when rounding conventions could disagree."""
    best = min(default_warehouses(), key=lambda w: haversine_km(lat, lon, w[1], w[2]))
    km = haversine_km(lat, lon, best[1], best[2])
    metres = km * 1000.0
    # "Whole metres" may be rounded or truncated, and another haversine
    # formulation differs in the last bits: use only points where every such
    # choice gives the same cost, so the expectation is exact.
    eps = 0.01
    costs = {cost_cents(int(f(metres + d))) for f in (math.floor, round) for d in (-eps, eps)}
    if len(costs) != 1:
        return None
    return best, km, costs.pop()


POINTS = [
    ("Paris", 48.8566, 2.3522),
    ("Boston", 42.3601, -71.0589),
    ("Sydney", -33.8688, 151.2093),
    ("Sao Paulo", -23.5505, -46.6333),
    ("Tokyo", 35.6762, 139.6503),
    ("Munich", 48.1351, 11.5820),
    ("Philadelphia", 39.9526, -75.1652),
    ("Cape Town", -33.9249, 18.4241),
    ("Reykjavik", 64.1466, -21.9426),
    ("Honolulu", 21.3069, -157.8583),
    ("North Pole", 90.0, 0.0),
    ("Date line", 0.0, -180.0),
]


class ShippingTest(harness.NodeTestCase):
    node_flags = ("--shipping.base_cents=%d" % BASE_CENTS,
                  "--shipping.cents_per_km=%d" % CENTS_PER_KM,
                  "--shipping.currency=USD")

    def quote(self, **params):
        return self.api.get("/api/v1/shipping/quote?" + urllib.parse.urlencode(params))

    def test_quotes_match_the_formula(self):
        checked = 0
        for name, lat, lon in POINTS:
            exp = expected_quote(lat, lon)
            if exp is None:
                continue
            (wname, wlat, wlon), km, cost = exp
            r = self.quote(lat=lat, lon=lon)
            self.assertEqual(r.status, 200, r)
            q = r.json
            self.assertEqual(q["warehouse"]["name"], wname, name)
            self.assertAlmostEqual(q["warehouse"]["lat"], wlat, places=6)
            self.assertAlmostEqual(q["warehouse"]["lon"], wlon, places=6)
            self.assertIsInstance(q["distance_km"], (int, float), name)
            self.assertAlmostEqual(q["distance_km"], km, delta=0.002, msg=name)
            self.assertIsInstance(q["cost_cents"], int, name)
            self.assertEqual(q["cost_cents"], cost, "%s: %r" % (name, q))
            self.assertEqual(q["currency"], "USD")
            checked += 1
        self.assertGreaterEqual(checked, 8, "too few unambiguous points")

    def test_a_warehouse_location_costs_the_base_price(self):
        for wname, wlat, wlon in default_warehouses():
            r = self.quote(lat=wlat, lon=wlon)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["warehouse"]["name"], wname)
            self.assertAlmostEqual(r.json["distance_km"], 0.0, places=3)
            self.assertEqual(r.json["cost_cents"], BASE_CENTS)

    def test_boundaries_are_accepted(self):
        for lat, lon in ((90, 180), (-90, -180), (0, 0), ("-90.0", "180.0")):
            r = self.quote(lat=lat, lon=lon)
            self.assertEqual(r.status, 200, r)

    def test_invalid_coordinates_are_400(self):
        cases = [({"lat": 91, "lon": 0}, "lat"), ({"lat": -90.0001, "lon": 0}, "lat"),
                 ({"lat": 0, "lon": -181}, "lon"), ({"lat": 0, "lon": 180.5}, "lon"),
                 ({"lon": 10}, "lat"), ({"lat": 10}, "lon"),
                 ({"lat": "north", "lon": 10}, "lat"), ({"lat": 10, "lon": "east"}, "lon"),
                 ({"lat": "", "lon": 10}, "lat"), ({"lat": "nan", "lon": 10}, "lat"),
                 ({"lat": "inf", "lon": 10}, "lat"), ({"lat": "1e30", "lon": 10}, "lat"),
                 ({"lat": "12abc", "lon": 10}, "lat")]
        for params, field in cases:
            r = self.quote(**params)
            self.assert_error(r, 400, "invalid_request", field=field)
        r = self.api.get("/api/v1/shipping/quote")
        self.assert_error(r, 400, "invalid_request")


if __name__ == "__main__":
    unittest.main()
