"""python-scim's scim2-server as a real SCIM service provider behind agentgw.

Usage: provider.py GATEWAY_URL PROVIDER_URL AGENTGW_BIN CONFIG. The gateway serves ndoto at
/ndoto over the provider (upstream dialect "scim") and ndoto at /local on its embedded store.
Checks that ndoto's agent calls become the provider's Users, and that `agentgw migrate` copies
the embedded agents into the provider, then again as a delta. Exits non-zero on a mismatch.
"""

import subprocess
import sys

import httpx2

NDOTO = {"api_access_token": "ndoto-token"}
PROVIDER = {"Authorization": "Bearer provider-token"}


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def provider_users(provider, email):
    reply = httpx2.get(
        f"{provider}/v2/Users",
        params={"filter": f'emails.value eq "{email}"'},
        headers=PROVIDER,
    )
    check(reply.status_code == 200, f"the provider lists: {reply.status_code} {reply.text}")
    return reply.json().get("Resources", [])


def main():
    gateway, provider, binary, config = sys.argv[1:5]
    agents = f"{gateway}/ndoto/api/v1/accounts/1/agents"

    made = httpx2.post(agents, headers=NDOTO, json={"name": "Ada Lovelace", "email": "ada@example.com", "role": "agent"})
    check(made.status_code == 200, f"create through the provider: {made.status_code} {made.text}")
    ada = made.json()
    users = provider_users(provider, "ada@example.com")
    check(len(users) == 1, f"the provider has Ada as a User: {users}")
    user = users[0]
    check(user["name"]["givenName"] == "Ada" and user["name"]["familyName"] == "Lovelace", f"names: {user}")
    check(user.get("active") is True, f"active: {user}")

    got = httpx2.get(f"{agents}/{ada['id']}", headers=NDOTO)
    check(got.status_code == 200 and got.json()["email"] == "ada@example.com", f"read back: {got.text}")

    changed = httpx2.patch(f"{agents}/{ada['id']}", headers=NDOTO, json={"name": "Ada King", "role": "administrator"})
    check(changed.status_code == 200, f"update: {changed.status_code} {changed.text}")
    check(changed.json()["role"] == "administrator", f"role: {changed.text}")
    user = provider_users(provider, "ada@example.com")[0]
    check(user["name"]["familyName"] == "King", f"the provider has the new name: {user}")
    roles = [r.get("value", "").lower() for r in user.get("roles", [])]
    check("admin" in roles, f"the provider has the admin role: {user}")

    listed = httpx2.get(agents, headers=NDOTO)
    check(listed.status_code == 200 and any(a["id"] == ada["id"] for a in listed.json()), f"list: {listed.text}")

    gone = httpx2.delete(f"{agents}/{ada['id']}", headers=NDOTO)
    check(gone.status_code == 200, f"delete: {gone.status_code} {gone.text}")
    check(provider_users(provider, "ada@example.com") == [], "the provider no longer has Ada")
    missing = httpx2.get(f"{agents}/{ada['id']}", headers=NDOTO)
    check(missing.status_code == 404, f"then 404: {missing.status_code} {missing.text}")

    local = f"{gateway}/local/api/v1/accounts/1/agents"
    for i in range(3):
        reply = httpx2.post(local, headers=NDOTO, json={"name": f"Local Agent{i}", "email": f"local{i}@example.com", "role": "agent"})
        check(reply.status_code == 200, f"local create: {reply.text}")
    run = subprocess.run(
        [binary, "migrate", "--config", config, "--from", "embedded:default", "--to", "provider"],
        capture_output=True, text=True, timeout=120,
    )
    check(run.returncode == 0, f"migrate exits 0: {run.returncode}\n{run.stdout}\n{run.stderr}")
    for i in range(3):
        check(len(provider_users(provider, f"local{i}@example.com")) == 1, f"local{i} migrated")

    # A delta: one agent renamed at the source reaches the provider as an update.
    first = [a for a in httpx2.get(local, headers=NDOTO).json() if a["email"] == "local0@example.com"][0]
    httpx2.patch(f"{local}/{first['id']}", headers=NDOTO, json={"name": "Local Renamed"})
    run = subprocess.run(
        [binary, "migrate", "--config", config, "--from", "embedded:default", "--to", "provider", "--update-existing"],
        capture_output=True, text=True, timeout=120,
    )
    check(run.returncode == 0, f"the delta exits 0: {run.returncode}\n{run.stdout}\n{run.stderr}")
    user = provider_users(provider, "local0@example.com")[0]
    check(user["name"]["familyName"] == "Renamed", f"the delta reached the provider: {user}")
    print("scim2-server: ndoto calls became its Users; migrate copied 3 agents, then a delta")


if __name__ == "__main__":
    main()
