"""Eight reviewers press the same button on the same screen at once: one wins, the others are
told the dossier moved on (412 with the new version); no 5xx, one audit row."""

from __future__ import annotations

import threading

from states.lifecycle import Event, State
from tests.api.helpers import fire, walk


def test_one_of_eight_concurrent_fires_wins(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.world.actor("commune_reviewer")
    api.token(reviewer)  # issued before the threads start
    barrier = threading.Barrier(8)
    results = []

    def press():
        barrier.wait()
        results.append(fire(api, d, Event.COMMUNE_APPROVE, reviewer, {}))

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [412] * 7, [r.text for r in results]
    assert all(
        r.json()["current_version"] == d["version"] + 1 for r in results if r.status_code == 412
    )
    trail = api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=api.auth(reviewer)).json()
    assert [e["event"] for e in trail].count("commune_approve") == 1
