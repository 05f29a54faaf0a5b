"""scim2-tester (PyPI, python-scim) against one SCIM base URL: every check it has, discovery,
CRUD, PATCH and attributes, on the resource types the server publishes.

Usage: tester.py BASE_URL TOKEN. Exits non-zero when any check is ERROR or CRITICAL (a MUST
broken); DEVIATION lines (a SHOULD) are printed and counted.
"""

import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main():
    base, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    counts = Counter(r.status.name for r in results)
    bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    for r in results:
        if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION):
            print(f"{r.status.name}: [{r.resource_type or '-'}] {r.title}: {r.reason}")
    print("scim2-tester:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if counts.get("SUCCESS", 0) < 20:
        print("FAIL: fewer than 20 checks succeeded: the suite did not really run")
        sys.exit(1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
