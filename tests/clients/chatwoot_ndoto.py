"""chatwoot-sdk (PyPI) against agentgw's ndoto face, used as its own documentation shows.

Environment: AGENTGW_URL, NDOTO_TOKEN. The SDK validates every response with its own
pydantic models. Exits non-zero on any mismatch.
"""

import os
import sys

from chatwoot import ChatwootClient
from chatwoot.exceptions import ChatwootNotFoundError
from chatwoot.types.common import AgentRole, AvailabilityStatus


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    client = ChatwootClient(base_url=os.environ["AGENTGW_URL"] + "/ndoto", api_token=os.environ["NDOTO_TOKEN"])
    try:
        before = client.agents.list(account_id=1)

        agent = client.agents.add(account_id=1, name="Ada Lovelace", email="ada@example.com", role="agent")
        check(agent.name == "Ada Lovelace" and agent.email == "ada@example.com", f"add: {agent}")
        check(agent.role == AgentRole.AGENT and agent.account_id == 1, f"add: {agent}")
        check(agent.availability_status == AvailabilityStatus.ONLINE, f"default availability: {agent}")

        admin = client.agents.add(account_id=1, name="Grace Hopper", email="grace@example.com", role="administrator")
        check(admin.role == AgentRole.ADMINISTRATOR, f"add administrator: {admin}")

        agents = client.agents.list(account_id=1)
        check(len(agents) == len(before) + 2, f"list has both: {agents}")
        check({"Ada Lovelace", "Grace Hopper"} <= {a.name for a in agents}, "names listed")

        updated = client.agents.update(account_id=1, agent_id=agent.id, name="Ada King", role="administrator", availability="busy")
        check(updated.name == "Ada King" and updated.role == AgentRole.ADMINISTRATOR, f"update: {updated}")
        check(updated.availability_status == AvailabilityStatus.BUSY, f"update availability: {updated}")

        fetched = client.agents.get(account_id=1, agent_id=agent.id)
        check(fetched.id == agent.id and fetched.name == "Ada King", f"get: {fetched}")

        client.agents.remove(account_id=1, agent_id=agent.id)
        try:
            client.agents.get(account_id=1, agent_id=agent.id)
            check(False, "a removed agent is gone")
        except ChatwootNotFoundError:
            pass
        check(agent.id not in {a.id for a in client.agents.list(account_id=1)}, "removed from the list")
        print("chatwoot-sdk: agents added, listed, updated, fetched and removed")
    finally:
        client.close()


if __name__ == "__main__":
    main()
