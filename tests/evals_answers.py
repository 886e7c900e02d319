"""Every suite case's answer computed again in Python, independently of its JS reference and by
another method where there is one (stdlib combinatorics, `ipaddress`, `csv`, `Decimal`, Euclid-Euler,
`isocalendar`), from the data in the instruction itself or the fixture file it fetches. A new case
needs an entry here: the suite test refuses a case without one."""

from __future__ import annotations

import calendar
import csv
import functools
import io
import ipaddress
import itertools
import json
import math
import os
import re
import statistics
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "evals" / "fixtures"
CENT = Decimal("0.01")


def quoted(text: str) -> str:
    """The first '...' in an instruction."""
    return re.search(r"'(.*?)'", text).group(1)


def block(text: str) -> str:
    """What follows the instruction's first blank line (its inline data)."""
    return text.split("\n\n", 1)[1].strip()


def primes_below(n: int) -> list[int]:
    sieve = bytearray([1]) * n
    sieve[:2] = b"\0\0"
    for i in range(2, math.isqrt(n - 1) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, n, i)))
    return [i for i in range(n) if sieve[i]]


def amicable_sum(limit: int) -> int:
    proper = [0] * (5 * limit)  # sums of proper divisors; below `limit` they stay under 5 * limit
    for i in range(1, len(proper)):
        for j in range(2 * i, len(proper), i):
            proper[j] += i
    return sum(a for a in range(2, limit) if proper[a] != a and proper[proper[a]] == a)


def stats(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.mean(values), "median": statistics.median(values), "min": min(values), "max": max(values)}


def collatz_longest(limit: int) -> int:
    lengths = {1: 1}

    def length(n: int) -> int:
        path = []
        while n not in lengths:
            path.append(n)
            n = 3 * n + 1 if n % 2 else n // 2
        total = lengths[n]
        for m in reversed(path):
            total += 1
            lengths[m] = total
        return total

    return max(range(1, limit), key=length)


def divisor_count(n: int) -> int:
    count, p = 1, 2
    while n > 1:
        e = 0
        while n % p == 0:
            n //= p
            e += 1
        count *= e + 1
        p += 1
    return count


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def subsets_with_sum(items: range, target: int) -> int:
    poly = [1] + [0] * target  # coefficients of prod(1 + x^k)
    for k in items:
        poly = [poly[s] + (poly[s - k] if s >= k else 0) for s in range(target + 1)]
    return poly[target]


def coin_ways(total: int, coins: list[int]) -> int:
    @functools.cache
    def ways(rest: int, i: int) -> int:
        if rest == 0:
            return 1
        if i == len(coins):
            return 0
        return sum(ways(rest - k * coins[i], i + 1) for k in range(rest // coins[i] + 1))

    return ways(total, 0)


def josephus(n: int, k: int) -> int:
    people, i = list(range(1, n + 1)), 0
    while len(people) > 1:
        i = (i + k - 1) % len(people)
        people.pop(i)
    return people[0]


def life(cells: set[tuple[int, int]], steps: int) -> set[tuple[int, int]]:
    for _ in range(steps):
        counts = Counter((x + dx, y + dy) for x, y in cells for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy)
        cells = {c for c, n in counts.items() if n == 3 or (n == 2 and c in cells)}
    return cells


def loan(balance: Decimal, months: int) -> Decimal:
    for _ in range(months):
        balance = (balance * Decimal("1.01")).quantize(CENT, ROUND_HALF_UP) - 30
    return balance


def fish(years: int) -> int:
    p = Fraction(100)
    for _ in range(years):
        p = p * Fraction(108, 100) - 5
    return int(p + Fraction(1, 2))  # p is positive: round half up


def lcg(x: int, n: int) -> list[int]:
    out = []
    for _ in range(n):
        x = (1103515245 * x + 12345) % 2**31
        out.append(x % 100)
    return out


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title, self.hrefs, self._in_title = "", [], False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def page() -> Links:
    parser = Links()
    parser.feed((FIXTURES / "page.html").read_text())
    return parser


def people(text: str) -> list[tuple[str, int, str]]:
    return [(n, int(a), c) for n, a, c in re.findall(r"(\w+) \((\d+), (\w+)\)", text)]


def tree(node: dict) -> tuple[int, int]:
    below = [tree(c) for c in node["children"]]
    return 1 + max((d for d, _ in below), default=0), node["v"] + sum(s for _, s in below)


def orders(text: str) -> list[tuple[str, dict]]:
    return [(o["customer"], i) for o in json.loads(block(text))["orders"] for i in o["items"]]


ANSWERS: dict[str, Callable[[str], Any]] = {
    "arith-apples": lambda t: float(12 * Decimal("0.35") + 7 * Decimal("0.50")),
    "arith-train": lambda t: float(Fraction(84) / Fraction(70, 60)),
    "arith-savings": lambda t: sum(15 + 4 * week for week in range(12)),
    "arith-percent": lambda t: float(80 * Fraction(75, 100) * Fraction(110, 100)),
    "arith-tank": lambda t: float(Fraction(1200, 40 - 15)),
    "arith-ages": lambda t: next(4 * son for son in range(1, 100) if 4 * son + 20 == 2 * (son + 20)),
    "arith-factorial-sum": lambda t: sum(math.factorial(int(d)) for d in "40585"),
    "arith-big-product": lambda t: 987654321 * 123456789,
    "arith-big-sum-squares": lambda t: 10**6 * (10**6 + 1) * (2 * 10**6 + 1) // 6,
    "arith-compound": lambda t: float((10000 * (1 + Decimal("0.05") / 12) ** 120).quantize(CENT, ROUND_HALF_UP)),
    "nt-prime-sum": lambda t: sum(primes_below(10_000)),
    "nt-prime-sum-2m": lambda t: sum(primes_below(2_000_000)),
    "nt-10001st-prime": lambda t: primes_below(200_000)[10_000],
    "nt-gcd-lcm": lambda t: math.lcm(*range(1, 21)),
    "nt-collatz": lambda t: collatz_longest(100_000),
    "nt-perfect": lambda t: [2 ** (p - 1) * (2**p - 1) for p in (2, 3, 5, 7, 13) if 2 ** (p - 1) * (2**p - 1) < 10_000],
    "nt-digit-sum-2-1000": lambda t: sum(map(int, str(2**1000))),
    "nt-modpow": lambda t: pow(3, 10**18, 1_000_000_007),
    "nt-divisors": lambda t: divisor_count(720720),
    "nt-amicable": lambda t: amicable_sum(10_000),
    "str-reverse-words": lambda t: " ".join(reversed(quoted(t).split())),
    "str-palindromes": lambda t: [w for w in re.search(r"\? (.*)\. Return", t).group(1).split(", ") if w.lower() == w.lower()[::-1]],
    "str-vowels": lambda t: sum(c in "aeiouAEIOU" for c in quoted(t)),
    "str-emoji-length": lambda t: len(quoted(t)),  # Python counts code points
    "str-utf8-bytes": lambda t: len(quoted(t).encode("utf-8")),
    "str-caesar": lambda t: quoted(t).translate(str.maketrans(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "xyzabcdefghijklmnopqrstuvwXYZABCDEFGHIJKLMNOPQRSTUVW")),
    "str-anagram-groups": lambda t: list({"".join(sorted(w)): [v for v in words if sorted(v) == sorted(w)]
                                          for words in [re.search(r": (.*?)\. Return", t).group(1).split(", ")] for w in words}.values()),
    "str-normalize": lambda t: unicodedata.normalize("NFC", "e\u0301") == "\u00e9",
    "str-title-case": lambda t: " ".join(w.capitalize() for w in quoted(t).split()),
    "str-run-length": lambda t: "".join(f"{c}{len(list(g))}" for c, g in itertools.groupby(quoted(t))),
    "str-longest-common-prefix": lambda t: os.path.commonprefix(re.findall(r"'(\w+)'", t)),  # noqa: RUF071 (a string prefix, as meant)
    "date-days-between": lambda t: (date(2024, 12, 25) - date(2024, 1, 1)).days,
    "date-weekday": lambda t: calendar.day_name[date(2000, 2, 29).weekday()],
    "date-add-days": lambda t: (date(2023, 3, 15) + timedelta(days=1000)).isoformat(),
    "date-sundays": lambda t: sum(date(y, m, 1).weekday() == 6 for y in range(1901, 2001) for m in range(1, 13)),
    "date-leap-years": lambda t: sum(calendar.isleap(y) for y in range(1900, 2101)),
    "date-unix": lambda t: int(datetime(2021, 7, 4, 12, 30, tzinfo=UTC).timestamp()),
    "date-iso-week": lambda t: date(2021, 1, 3).isocalendar().week,
    "date-duration": lambda t: int((datetime(2024, 3, 12, 7, 30) - datetime(2024, 3, 9, 22)).total_seconds() // 3600),
    "csv-region-totals": lambda t: [{"region": r, "total": float(sum(Decimal(x["amount"]) for x in csv_rows(block(t)) if x["region"] == r))}
                                    for r in sorted({x["region"] for x in csv_rows(block(t))})],
    "csv-top-product": lambda t: max({x["product"] for x in csv_rows(block(t))},
                                     key=lambda p: sum(Decimal(x["amount"]) for x in csv_rows(block(t)) if x["product"] == p)),
    "csv-count": lambda t: sum(Decimal(x["amount"]) > 4 for x in csv_rows(block(t))),
    "json-order-total": lambda t: float(sum(i["qty"] * Decimal(str(i["price"])) for _, i in orders(t))),
    "json-per-customer": lambda t: {c: float(sum(i["qty"] * Decimal(str(i["price"])) for who, i in orders(t) if who == c)) for c, _ in orders(t)},
    "json-sku-qty": lambda t: [{"sku": s, "qty": q} for s, q in sum((Counter({i["sku"]: i["qty"]}) for _, i in orders(t)), Counter()).most_common()],
    "csv-quoted": lambda t: max(csv_rows(block(t)), key=lambda r: int(r["score"]))["name"],
    "json-stats": lambda t: stats(json.loads(re.search(r"\[.*?\]", t).group(0))),
    "re-error-count": lambda t: sum(line.split()[2] == "ERROR" for line in block(t).splitlines()),
    "re-devices": lambda t: [w for w in block(t).split() if w.startswith("/dev/")],
    "re-emails": lambda t: [m.lower() for m in re.findall(r"[\w.]+@[\w]+(?:\.[\w]+)+", block(t))],
    "re-prices": lambda t: float(sum(Decimal(m.replace(",", "")) for m in re.findall(r"\$([\d,.]*\d)", t))),
    "re-hashtags": lambda t: list(dict.fromkeys(h.lower() for h in re.findall(r"#(\w+)", t))),
    "re-dates-reformat": lambda t: re.sub(r"\d\d/\d\d/\d{4}", lambda m: datetime.strptime(m.group(0), "%m/%d/%Y").date().isoformat(), quoted(t)),
    "re-ipv4-valid": lambda t: [a for a in re.search(r"\? (.*)\. Return", t).group(1).split(", ") if _ipv4(a)],
    "comb-choose": lambda t: math.comb(49, 6),
    "comb-lattice": lambda t: math.comb(40, 20),
    "comb-derangements": lambda t: sum((-1) ** k * math.factorial(10) // math.factorial(k) for k in range(11)),
    "comb-coins": lambda t: coin_ways(200, [200, 100, 50, 20, 10, 5, 2, 1]),
    "comb-permutations-list": lambda t: ["".join(p) for p in itertools.permutations("abc")],
    "comb-millionth-perm": lambda t: "".join(next(itertools.islice(itertools.permutations("0123456789"), 999_999, None))),
    "comb-catalan": lambda t: math.comb(24, 12) // 13,
    "comb-subsets-sum": lambda t: subsets_with_sum(range(1, 21), 50),
    "sim-loan": lambda t: float(loan(Decimal("1000.00"), 24)),
    "sim-population": lambda t: fish(30),
    "sim-lcg": lambda t: lcg(42, 5),
    "sim-josephus": lambda t: josephus(41, 3),
    "sim-life": lambda t: len(life({(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)}, 8)),
    "sim-round-half": lambda t: [float(Decimal(s).quantize(CENT, ROUND_HALF_UP)) for s in ("2.345", "1.005", "8.675")],
    "obj-people": lambda t: [{"name": n, "age": a, "city": c} for n, a, c in people(t)],
    "obj-group-city": lambda t: {c: [n for n, _, c2 in people(t) if c2 == c] for _, _, c in people(t)},
    "obj-oldest": lambda t: dict(zip(("name", "age"), max(people(t), key=lambda p: p[1])[:2])),
    "obj-matrix": lambda t: [[int(i == j) for j in range(3)] for i in range(3)],
    "obj-transpose": lambda t: [list(col) for col in zip(*[[1, 2, 3], [4, 5, 6]])],
    "obj-word-freq": lambda t: [{"word": w, "count": c} for w, c in Counter(quoted(t).lower().split()).most_common(2)],
    "obj-fizzbuzz": lambda t: ["Fizz" * (i % 3 == 0) + "Buzz" * (i % 5 == 0) or str(i) for i in range(1, 16)],
    "obj-tree-depth": lambda t: dict(zip(("depth", "sum"), tree(json.JSONDecoder().raw_decode(t[t.index("{"):])[0]))),
    "big-factorial": lambda t: math.factorial(50),
    "big-fibonacci": lambda t: _fib(300),
    "big-power": lambda t: 7**77,
    "big-mersenne-digits": lambda t: len(str(2**4423 - 1)),
    "big-grains": lambda t: sum(2**square for square in range(64)),
    "big-binomial": lambda t: math.comb(100, 50),
    "fetch-title": lambda t: page().title,
    "fetch-json-sum": lambda t: float(sum(Decimal(str(s["amount"])) for s in json.loads((FIXTURES / "sales.json").read_text())["sales"])),
    "fetch-links": lambda t: page().hrefs,
    "fetch-csv": lambda t: max(csv_rows((FIXTURES / "temperatures.csv").read_text()), key=lambda r: float(r["temp_c"]))["city"],
    "nt-prime-factors": lambda t: sorted(prime_factors(1_234_567_890)),
    "date-friday-13": lambda t: [calendar.month_name[m] for m in range(1, 13) if date(2026, m, 13).weekday() == calendar.FRIDAY],
    "csv-apple-regions": lambda t: list(dict.fromkeys(r["region"] for r in csv_rows(block(t)) if r["product"] == "apples")),
    "comb-pythagorean": lambda t: [[a, b, c] for c in range(1, 31) for b in range(1, c) for a in range(1, b) if a * a + b * b == c * c],
    # answers with many right values: one of them, found by search (the case's JS checker must accept it)
    "comb-magic-square": lambda t: next([list(p[0:3]), list(p[3:6]), list(p[6:9])] for p in itertools.permutations(range(1, 10))
                                        if all(sum(line) == 15 for line in (p[0:3], p[3:6], p[6:9], p[0::3], p[1::3], p[2::3], p[0::4], p[2:7:2]))),
    "nt-five-primes": lambda t: list(next(c for c in itertools.combinations(primes_below(100), 5) if sum(c) == 100)),
    "arith-diophantine": lambda t: next({"pencils": x, "pens": (47 - 3 * x) // 5} for x in range(1, 16) if (47 - 3 * x) % 5 == 0),
    "str-uuid-v4": lambda t: str(uuid.uuid4()),
    # inputs: the fixture files read again with csv and json, money as Decimal, dates as `date`
    "inp-orders-late": lambda t: [o["id"] for o in order_rows() if o["shipped"] and day(o["shipped"]) > day(o["due"])],
    "inp-orders-unshipped": lambda t: [o["id"] for o in order_rows() if o["shipped"] is None],
    "inp-orders-revenue": lambda t: {c: float(v) for c, v in net_by("customer", [o for o in order_rows() if o["shipped"]]).items()},
    "inp-orders-fragile": lambda t: [o["id"] for o in order_rows() if "fragile" in (o["note"] or "").casefold()],
    "inp-orders-off-days": lambda t: [o["id"] for o in order_rows()
                                      if o["shipped"] and (day(o["shipped"]).weekday() >= 5 or day(o["shipped"]) in holidays())],
    "inp-orders-business-days-late": lambda t: {o["id"]: business_days_late(o) for o in order_rows()
                                                if o["shipped"] and day(o["shipped"]) > day(o["due"])},
    "inp-inventory-value": lambda t: {w["id"]: float(sum(i["unit_cost"] * sum(b["qty"] for b in i["bins"]) for i in w["items"]))
                                      for w in inventory()["warehouses"]},
    "inp-inventory-reorder": lambda t: [s for s, q in stock_by_sku().items() if q < inventory()["products"][s]["reorder_level"]],
    "inp-log-errors": lambda t: {svc: sum(f[1] == "ERROR" and f[2] == f"[{svc}]" for f in log_lines())
                                 for svc in dict.fromkeys(f[2].strip("[]") for f in log_lines())},
    "inp-log-slowest": lambda t: max(log_requests(), key=lambda r: r["ms"])["id"],
    "inp-log-orders-mean": lambda t: float(statistics.mean(r["ms"] for r in log_requests()
                                                           if r["method"] == "GET" and r["path"] == "/v1/orders" and 200 <= r["status"] < 300)
                                           .quantize(Decimal("0.1"), ROUND_HALF_UP)),
    "inp-tx-region-totals": lambda t: [{"region": r, "total": float(v)} for r, v in net_by("region", transactions()).most_common()],
    "inp-tx-top-customer": lambda t: (lambda c, v: {"customer": c, "total": float(v)})(*net_by("customer", [
        r for r in transactions() if r["region"] == "east" and date(2024, 3, 1) <= day(r["date"]) <= date(2024, 5, 31)]).most_common(1)[0]),
    "inp-tx-median": lambda t: float(statistics.median(r["amount"] for r in transactions()
                                                       if r["category"] == "electronics" and day(r["date"]).year == 2023 and r["amount"] > 0)),
    "inp-tx-customers-per-category": lambda t: {c: len(who) for c, who in buyers_by_category(2024).items()},
    "inp-tsv-reports": lambda t: reports_of("Priya Raman"),
    "inp-tsv-salaries": lambda t: {d: float(statistics.mean(pay).quantize(CENT, ROUND_HALF_UP)) for d, pay in salaries_by_department().items()},
    "inp-jsonl-quick-buyers": lambda t: quick_buyers(timedelta(days=7)),
}

# For the cases compared in any order or by a JS checker: a wrong answer the comparison must refuse.
WRONG: dict[str, Any] = {
    "nt-prime-factors": [2, 3, 5, 3607],
    "date-friday-13": ["February", "March", "November", "December"],
    "csv-apple-regions": ["north", "east", "south", "south"],
    "comb-pythagorean": [[3, 4, 5], [6, 8, 10]],
    "comb-magic-square": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    "nt-five-primes": [3, 5, 7, 11, 74],
    "arith-diophantine": {"pencils": 14, "pens": 2},
    "str-uuid-v4": str(uuid.uuid1()),
    "inp-orders-late": ["O-1002", "O-1005", "O-1009", "O-1012", "O-1014", "O-1020", "O-1022", "O-1025", "O-1028"],
    "inp-orders-unshipped": ["O-1003", "O-1011", "O-1018", "O-1023"],
    "inp-orders-fragile": ["O-1006", "O-1021"],
    "inp-orders-off-days": ["O-1005", "O-1012", "O-1013", "O-1021", "O-1026"],
    "inp-inventory-reorder": ["BOLT-M6", "WASH-M6", "DRILL-18V", "TAPE-50", "SAW-HAND", "LEVEL-60"],
    "inp-tsv-reports": ["Aiko Tanaka", "Ben Carter"],
    "inp-jsonl-quick-buyers": ["u017", "u019", "u021", "u022", "u023", "u029", "u035", "u039", "u043", "u045", "u047", "u051", "u053", "u060"],
}


def fixture_rows(name: str, delimiter: str = ",") -> list[dict[str, str | None]]:
    """A fixture table's rows as the csv module reads them, an empty or missing cell as None."""
    with (FIXTURES / name).open(newline="", encoding="utf-8") as file:
        return [{k: v or None for k, v in row.items()} for row in csv.DictReader(file, delimiter=delimiter)]


def day(text: str) -> date:
    return date.fromisoformat(text)


def order_rows() -> list[dict[str, Any]]:
    return [{**o, "amount": Decimal(o["amount"])} for o in fixture_rows("orders.csv")]


def holidays() -> set[date]:
    return {date.fromisoformat(h["date"]) for h in json.loads((FIXTURES / "holidays.json").read_text(encoding="utf-8"))}


def business_days_late(order: dict[str, str | None]) -> int:
    due, shipped, off = date.fromisoformat(order["due"]), date.fromisoformat(order["shipped"]), holidays()
    days = (due + timedelta(days=n) for n in range(1, (shipped - due).days + 1))
    return sum(d.weekday() < 5 and d not in off for d in days)


def inventory() -> dict[str, Any]:
    return json.loads((FIXTURES / "inventory.json").read_text(encoding="utf-8"), parse_float=Decimal)


def stock_by_sku() -> Counter:
    stock = Counter(dict.fromkeys(inventory()["products"], 0))
    for warehouse in inventory()["warehouses"]:
        for item in warehouse["items"]:
            stock[item["sku"]] += sum(b["qty"] for b in item["bins"])
    return stock


def log_lines() -> list[list[str]]:
    """The fields of each entry of app.log (a stack-trace line starts with spaces and is no entry)."""
    return [line.split() for line in (FIXTURES / "app.log").read_text(encoding="utf-8").splitlines() if line and not line[0].isspace()]


def log_requests() -> list[dict[str, Any]]:
    """Request entries: `... LEVEL [service] req=ID METHOD PATH -> STATUS (DURATION) ...`, durations in ms."""
    out = []
    for f in log_lines():
        if len(f) >= 9 and f[3].startswith("req=") and f[6] == "->":
            text = f[8].strip("()")
            ms = Decimal(text[:-2]) if text.endswith("ms") else Decimal(text[:-1]) * 1000
            out.append({"id": f[3][4:], "method": f[4], "path": f[5], "status": int(f[7]), "ms": ms})
    return out


@functools.cache
def transactions() -> list[dict[str, Any]]:
    return [{**r, "amount": Decimal(r["amount"])} for r in fixture_rows("transactions.csv")]


def net_by(key: str, rows: list[dict[str, Any]]) -> Counter:
    totals: Counter = Counter()
    for r in rows:
        totals[r[key]] += r["amount"]
    return totals


def buyers_by_category(year: int) -> dict[str, set[str]]:
    buyers: dict[str, set[str]] = {}
    for r in transactions():
        if date.fromisoformat(r["date"]).year == year and r["amount"] > 0:
            buyers.setdefault(r["category"], set()).add(r["customer"])
    return buyers


def salaries_by_department() -> dict[str, list[Decimal]]:
    pay: dict[str, list[Decimal]] = {}
    for e in fixture_rows("employees.tsv", "\t"):
        if e["salary"] is not None:
            pay.setdefault(e["department"], []).append(Decimal(e["salary"]))
    return pay


def reports_of(name: str) -> list[str]:
    staff = fixture_rows("employees.tsv", "\t")
    below: dict[str | None, list[dict]] = {}
    for e in staff:
        below.setdefault(e["manager_id"], []).append(e)

    def under(boss_id: str) -> list[str]:
        return [n for e in below.get(boss_id, []) for n in (e["name"], *under(e["id"]))]

    return under(next(e["id"] for e in staff if e["name"] == name))


def quick_buyers(within: timedelta) -> list[str]:
    events = [json.loads(line) for line in (FIXTURES / "events.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    at = lambda e: datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))
    signed = {e["user"]: at(e) for e in events if e["type"] == "signup"}
    return sorted({e["user"] for e in events if e["type"] == "purchase" and e["user"] in signed
                   and timedelta(0) <= at(e) - signed[e["user"]] <= within})


def prime_factors(n: int) -> set[int]:
    factors, p = set(), 2
    while n > 1:
        while n % p == 0:
            factors.add(p)
            n //= p
        p += 1
    return factors


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)  # refuses leading zeros and numbers above 255
    except ValueError:
        return False
    return True


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


# tools: the shop's data read directly (never through its tool functions), money as Decimal
def _shop() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("evals_shop_fixture", FIXTURES / "shop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHOP = _shop()
SHOP_CUSTOMERS = {id: {"name": name, "region": region} for id, name, region, _ in SHOP.CUSTOMERS}
SHOP_REGIONS = {code: {"name": name, "manager": manager, "rate": Decimal(rate)} for code, name, manager, rate in SHOP.REGIONS}
SHOP_PRODUCTS = {sku: {"name": name, "category": category, "price": Decimal(price)} for sku, name, category, price in SHOP.PRODUCTS}
SHOP_ORDERS = [{"id": id, "customer": customer, "placed": date.fromisoformat(placed), "status": status,
                "lines": [(sku, qty, Decimal(price)) for sku, qty, price in lines],
                "total": sum((qty * Decimal(price) for _, qty, price in lines), Decimal(0))}
               for id, customer, placed, status, lines in SHOP.ORDERS]


def shop_orders(first: date, last: date, *statuses: str) -> list[dict[str, Any]]:
    """The orders placed from `first` to `last` (both included), of the given statuses (default: any)."""
    return [o for o in SHOP_ORDERS if first <= o["placed"] <= last and (not statuses or o["status"] in statuses)]


def month_of(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def cents(amount: Decimal) -> float:
    return float(amount.quantize(CENT, ROUND_HALF_UP))


LIVE = ("shipped", "pending")
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def spend_by_customer(orders: list[dict[str, Any]]) -> Counter:
    spend: Counter = Counter()
    for o in orders:
        spend[o["customer"]] += o["total"]
    return spend


def revenue_by_region(orders: list[dict[str, Any]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for o in orders:
        code = SHOP_CUSTOMERS[o["customer"]]["region"]
        totals[code] = totals.get(code, Decimal(0)) + o["total"]
    return totals


def tax_by_region(orders: list[dict[str, Any]]) -> dict[str, float]:
    return {code: cents(total * SHOP_REGIONS[code]["rate"]) for code, total in revenue_by_region(orders).items()}


def line_revenue(orders: list[dict[str, Any]]) -> Counter:
    money: Counter = Counter()
    for o in orders:
        for sku, qty, price in o["lines"]:
            money[sku] += qty * price
    return money


def order_counts(months: list[str]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for text in months:
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text)
        counts[text] = len(shop_orders(*month_of(int(match[1]), int(match[2])))) if match else None
    return counts


TOOL_ANSWERS: dict[str, Callable[[str], Any]] = {
    "tools-march-total": lambda t: cents(sum(o["total"] for o in shop_orders(*month_of(2026, 3)))),
    "tools-q1-shipped-count": lambda t: len(shop_orders(*Q1, "shipped")),
    "tools-top-spenders-march": lambda t: [SHOP_CUSTOMERS[c]["name"] for c, _ in spend_by_customer(shop_orders(*month_of(2026, 3), *LIVE)).most_common(3)],
    "tools-region-revenue-q1": lambda t: {SHOP_REGIONS[code]["name"]: cents(total) for code, total in revenue_by_region(shop_orders(*Q1, "shipped")).items()},
    "tools-category-units-feb": lambda t: dict(Counter(SHOP_PRODUCTS[sku]["category"] for o in shop_orders(*month_of(2026, 2), *LIVE)
                                                       for sku, qty, _ in o["lines"] for _ in range(qty))),
    "tools-avg-shipped-jan": lambda t: cents(statistics.mean(o["total"] for o in shop_orders(*month_of(2026, 1), "shipped"))),
    "tools-names-of-ids": lambda t: [SHOP_CUSTOMERS[i]["name"] for i in (3, 99, 7, 42, 11) if i in SHOP_CUSTOMERS],
    "tools-unknown-skus": lambda t: [s for s in ("T-HAM-01", "T-HAM-02", "G-SEE-10", "K-WOK-30", "O-CHR-01", "X-123") if s not in SHOP_PRODUCTS],
    "tools-tax-march": lambda t: tax_by_region(shop_orders(*month_of(2026, 3), "shipped")),
    "tools-best-product-april": lambda t: SHOP_PRODUCTS[line_revenue(shop_orders(*month_of(2026, 4), *LIVE)).most_common(1)[0][0]]["name"],
    "tools-idle-customers-feb": lambda t: sorted(c["name"] for i, c in SHOP_CUSTOMERS.items()
                                                 if i not in {o["customer"] for o in shop_orders(*month_of(2026, 2))}),
    "tools-regulars": lambda t: sorted(SHOP_CUSTOMERS[c]["name"] for c, n in Counter(
        c for c, _ in {(o["customer"], o["placed"].month) for o in shop_orders(date(2026, 1, 1), date(2026, 4, 30))}).items() if n >= 3),
    "tools-monthly": lambda t: [{"month": f"{y}-{m:02d}", "orders": len(shop_orders(*month_of(y, m))),
                                 "revenue": cents(sum((o["total"] for o in shop_orders(*month_of(y, m), *LIVE)), Decimal(0)))}
                                for y, m in ((2025, 12), (2026, 1), (2026, 2), (2026, 3), (2026, 4))],
    "tools-kitchen-buyers": lambda t: {sku: len({o["customer"] for o in shop_orders(date(2026, 1, 1), date(2026, 4, 30), *LIVE)
                                                 if any(line[0] == sku for line in o["lines"])})
                                       for sku, p in SHOP_PRODUCTS.items() if p["category"] == "kitchen"},
    "tools-refund-cancelled-feb": lambda t: [f"RF-{o['id']}-{int(o['total'] * 100)}" for o in shop_orders(*month_of(2026, 2), "cancelled")],
    "tools-biggest-order-manager": lambda t: SHOP_REGIONS[SHOP_CUSTOMERS[max(shop_orders(*Q1), key=lambda o: o["total"])["customer"]]["region"]]["manager"],
    "tools-old-pending": lambda t: [o["id"] for o in shop_orders(date(2000, 1, 1), date(2026, 2, 28), "pending")],
    "tools-bad-months": lambda t: order_counts(["2026-01", "2026-13", "March 2026", "2026-04", "2025-11"]),
    "tools-discounts-q1": lambda t: cents(sum((qty * (SHOP_PRODUCTS[sku]["price"] - price) for o in shop_orders(*Q1, *LIVE)
                                               for sku, qty, price in o["lines"]), Decimal(0))),
}
ANSWERS.update(TOOL_ANSWERS)
WRONG.update({
    "tools-idle-customers-feb": ["Gauss Garden Supply", "Hopper Hardware"],  # Jackson Joinery ordered in January and March only
    "tools-regulars": ["Ada Lovelace Ltd", "Curie Labs", "Dijkstra Systems", "Euler Outfitters", "Fermat Foods", "Iverson Imports"],
    "tools-old-pending": [1007, 1015, 1024, 1025, 1035],  # 1035 was placed in March
})
