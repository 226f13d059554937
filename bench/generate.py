"""Write N synthetic, valid co-op files with openings, for benchmarks (never for the site).

Deterministic for a seed. Every opening carries ``example: true``: these are made-up data.
"""

from __future__ import annotations

import random
from pathlib import Path

from coopdir.coopfile import write_coop_file
from coopdir.vocab import vocabulary

WORDS = [
    "cooperative",
    "software",
    "hosting",
    "design",
    "research",
    "python",
    "community",
    "members",
    "worker",
    "democratic",
    "open",
    "source",
    "infrastructure",
    "accessible",
    "websites",
    "training",
    "data",
    "maps",
    "public",
    "sector",
    "nonprofit",
    "education",
    "climate",
    "privacy",
    "federated",
    "servers",
    "consulting",
    "mobile",
    "apps",
    "security",
    "maintenance",
]
COUNTRIES = ["DE", "FR", "GB", "US", "CA", "ES", "AR", "IT", "NL", "BE", "NZ", "SE", "BR"]
CITIES = ["Berlin", "Montréal", "Lyon", "Glasgow", "Buenos Aires", "Zürich", "Kraków", "Oakland"]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def coop_data(index: int, rng: random.Random, openings: int) -> dict:
    """Return the data of one synthetic co-op with ``openings`` openings."""
    technologies = sorted(vocabulary("technologies").terms)
    services = sorted(vocabulary("services").terms)
    data: dict = {
        "name": f"Example Co-op {index:05d}",
        "website": f"https://coop-{index:05d}.example.org/",
        "summary": _text(rng, 6, 14),
        "description": "\n\n".join(_text(rng, 30, 60) for _ in range(2)),
        "founded": rng.randint(1990, 2025),
        "type": "worker-coop",
        "services": rng.sample(services, 3),
        "technologies": rng.sample(technologies, 5),
        "locations": [{"country": rng.choice(COUNTRIES), "city": rng.choice(CITIES)}],
        "remote": rng.choice(["fully-remote", "remote-first", "hybrid", "on-site"]),
        "languages": ["en"],
        "members": rng.randint(2, 40),
        "governance": "consensus",
        "pay_model": "equal-pay",
        "hiring": {"status": "hiring", "confirmed": "2026-01-15"},
        "contact": {"email": f"hello@coop-{index:05d}.example.org"},
        "provenance": {"added_by": "third-party"},
        "openings": [],
    }
    for number in range(openings):
        day = rng.randint(1, 28)
        data["openings"].append(
            {
                "id": f"opening-{number}",
                "title": f"{rng.choice(['Backend', 'Frontend', 'Ops', 'Design'])} role {number}",
                "kind": rng.choice(["job", "member-track", "contract"]),
                "description": _text(rng, 40, 80),
                "posted": f"2026-{rng.randint(1, 10):02d}-{day:02d}",
                "apply": f"https://coop-{index:05d}.example.org/jobs/{number}",
                "remote": rng.choice(["remote", "hybrid", "on-site"]),
                "pay": {"min": 40000, "max": 52000, "currency": "EUR", "period": "year"},
                "technologies": rng.sample(technologies, 3),
                "example": True,
            }
        )
    return data


def write_coops(folder: Path, count: int, *, openings: int = 5, seed: int = 42) -> list[Path]:
    """Write ``count`` co-op files into ``folder`` and return their paths."""
    rng = random.Random(seed)
    return [
        write_coop_file(folder, f"example-coop-{index:05d}", coop_data(index, rng, openings))
        for index in range(count)
    ]
