"""fediverse-pasture's verify_actor against a co-op's actor and our inbox (bench/pasture.py).

Pasture's test actors fetch the actor through nginx and POST a signed (or, for alice and dean,
unsigned) ``Like`` to its inbox; WebFinger must give back the actor's id. A third-party tool's
verdict on the whole followable tier, on loopback.
"""

from __future__ import annotations

import json
import subprocess
import sys

from sitecheck import ROOT


def test_pasture_actors_fetch_the_actor_and_only_signed_posts_are_taken() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pasture.py"), "--json"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["webfinger"] is True
    for name in ("alice", "bob", "claire", "dean", "emily", "frank"):
        assert result[name]["get_actor"] is True, name
    taken = {name for name, outcome in result.items()
             if isinstance(outcome, dict) and outcome["post_inbox"]}
    assert taken == {"bob", "claire", "emily", "frank"}, "unsigned POSTs (alice, dean) refused"
