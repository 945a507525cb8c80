"""tools/bench/report.py on made-up results: the flash sale's row rates the
target on the reservation decisions when agora-load read every one back, and on
the answers otherwise (a result from before it read them, or with unread ones);
several flash sales in one directory each get their row."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "bench", "report.py")


def flash_result(customers, stock, measured_s, decisions=None):
    flash = {"stock": stock, "succeeded": stock, "on_hand": 0}
    if decisions is not None:
        flash["decisions"] = decisions
    return {"scenario": "flash-sale", "customers": customers, "measured_s": measured_s,
            "journeys": {"flash-sale": {"outcomes": {"ok": stock, "out_of_stock": customers - stock},
                                        "p50_ms": 200.0, "p99_ms": 300.0}},
            "requests": {}, "verification": {"ok": True, "checks": []}, "flash_sale": flash}


class BenchReportTest(unittest.TestCase):
    def report(self, results):
        with tempfile.TemporaryDirectory() as d:
            for name, r in results.items():
                with open(os.path.join(d, name + ".json"), "w") as f:
                    json.dump(r, f)
            proc = subprocess.run([sys.executable, REPORT, d], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return {line.split("|")[1].strip(): line for line in proc.stdout.splitlines()
                    if line.startswith("| flash-sale")}

    def test_the_flash_sale_is_rated_on_its_decisions_when_all_were_read(self):
        rows = self.report({
            "flash-sale": flash_result(2000, 500, 0.3, {"count": 2000, "seconds": 0.08,
                                                        "per_second": 25000.0, "unread": 0}),
            "flash-sale-12000x100": flash_result(12000, 100, 0.6, {"count": 12000, "seconds": 0.5,
                                                                   "per_second": 24000.0,
                                                                   "unread": 3}),
            "flash-sale-6000x100": flash_result(6000, 100, 0.25),
        })
        met = rows["flash-sale (2000 customers, 500 units)"]
        self.assertIn("25,000 decisions/s (2000 decided in 0.080 s); all answered in 0.30 s "
                      "(6,667/s)", met)
        self.assertIn("| met |", met)
        # Unread decisions, or none read (an older result): the answers count.
        unread = rows["flash-sale (12000 customers, 100 units)"]
        self.assertIn("20,000 decisions/s (12000 answered in 0.60 s)", unread)
        self.assertIn("| met |", unread)
        older = rows["flash-sale (6000 customers, 100 units)"]
        self.assertIn("24,000 decisions/s (6000 answered in 0.25 s)", older)


if __name__ == "__main__":
    unittest.main()
