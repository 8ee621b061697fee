"""Recompute a SegDesk database's audit-trail hash chain without SegDesk (Python 3 only).

    python3 recompute_chain.py COPY.sqlite3 [SEQ]

Reads the database read-only (use a copy, e.g. one made with `segdesk backup`). Prints every
event's number, action and recomputed hash; with SEQ, prints only that event. Stops at the first
event whose recomputed hash differs from the stored one. The rule (segdesk/store/audit.py):
hash = SHA-256(previous hash + the event as JSON with sorted keys and no spaces), starting from
64 zeros.
"""

import hashlib
import json
import sqlite3
import sys

path = sys.argv[1]
wanted = int(sys.argv[2]) if len(sys.argv) > 2 else None
con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
prev = "0" * 64
expected_seq = 1
rows = con.execute(
    "SELECT seq, at, actor, action, entity, entity_id, payload, hash FROM audit_events ORDER BY seq"
)
for seq, at, actor, action, entity, entity_id, payload, stored in rows:
    if seq != expected_seq:
        sys.exit(f"event #{expected_seq} is missing (found #{seq})")
    event = {"seq": seq, "at": at, "actor": actor, "action": action, "entity": entity,
             "entity_id": entity_id, "payload": json.loads(payload)}
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    prev = hashlib.sha256((prev + text).encode("utf-8")).hexdigest()
    if prev != stored:
        sys.exit(f"event #{seq} ({action}): recomputed {prev}, stored {stored}: the trail was altered here")
    if wanted is None or seq == wanted:
        print(f"#{seq} {action} {prev}")
    expected_seq += 1
print(f"chain intact: {expected_seq - 1} events")
