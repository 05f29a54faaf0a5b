"""rocketchat-api (PyPI) against agentgw's livechat face, used as its own documentation shows.

Environment: AGENTGW_URL (e.g. http://127.0.0.1:PORT), LIVECHAT_USER, LIVECHAT_TOKEN.
The route registers unknown usernames (policy "create"). Exits non-zero on any mismatch.
"""

import os
import sys

from rocketchat_API.APIExceptions.RocketExceptions import RocketApiException
from rocketchat_API.rocketchat import RocketChat

AGENTS = 60  # more than the client's page of 50, so its paging runs


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    # A server_url ending in "/" makes the client send "//api/v1/...": the gateway must cope.
    rocket = RocketChat(
        user_id=os.environ["LIVECHAT_USER"],
        auth_token=os.environ["LIVECHAT_TOKEN"],
        server_url=os.environ["AGENTGW_URL"] + "/livechat/",
    )

    created = {}
    for i in range(AGENTS):
        username = f"rc.agent{i:02d}"
        reply = rocket.livechat_create_user("agent", username=username)
        check(reply["success"] is True, f"register {username}: {reply}")
        check(reply["user"]["username"] == username, f"register answers the username: {reply}")
        check(len(reply["user"]["_id"]) == 17, f"17-character _id: {reply}")
        created[username] = reply["user"]["_id"]

    # livechat_get_users is a paginated generator: offset/count pages of 50.
    users = list(rocket.livechat_get_users("agent"))
    names = [u["username"] for u in users]
    check(len(users) == AGENTS, f"all {AGENTS} agents over the pages, got {len(users)}")
    check(names == sorted(created), f"ordered by name: {names[:5]}...")
    check(len(set(u["_id"] for u in users)) == AGENTS, "no agent repeated across pages")
    check(all(u["_id"] == created[u["username"]] for u in users), "ids match the registered ones")

    first_page = rocket.livechat_get_users("agent", count=50, offset=0)
    check(sum(1 for _ in first_page) == AGENTS, "explicit count/offset pages to the end too")

    # Managers: none yet; register one (promotes), read it both ways.
    check(list(rocket.livechat_get_users("manager")) == [], "no managers yet")
    boss = "rc.agent07"
    reply = rocket.livechat_create_user("manager", username=boss)
    check(reply["success"] and reply["user"]["_id"] == created[boss], f"register manager: {reply}")
    managers = list(rocket.livechat_get_users("manager"))
    check([m["username"] for m in managers] == [boss], f"one manager: {managers}")

    as_manager = rocket.livechat_get_user("manager", created[boss])
    check(as_manager["user"]["username"] == boss, f"get manager: {as_manager}")
    as_agent = rocket.livechat_get_user("agent", created[boss])
    check(as_agent["user"]["_id"] == created[boss], f"a manager is also an agent: {as_agent}")
    plain = rocket.livechat_get_user("manager", created["rc.agent01"])
    check(plain["success"] is True and plain["user"] is None, f"a plain agent is no manager: {plain}")

    # Remove manager demotes; remove agent deletes.
    check(rocket.livechat_delete_user("manager", created[boss])["success"] is True, "remove manager")
    check(list(rocket.livechat_get_users("manager")) == [], "demoted")
    check(rocket.livechat_get_user("agent", created[boss])["user"]["username"] == boss, "still an agent")

    gone = "rc.agent59"
    check(rocket.livechat_delete_user("agent", created[gone])["success"] is True, "remove agent")
    try:
        rocket.livechat_get_user("agent", created[gone])
        check(False, "a removed agent is gone")
    except RocketApiException as e:
        check("User not found" in str(e), f"removed agent answers User not found: {e}")
    check(len(list(rocket.livechat_get_users("agent"))) == AGENTS - 1, "one fewer agent")

    print(f"rocketchat-api: {AGENTS} agents registered, paged, promoted, demoted and removed")


if __name__ == "__main__":
    main()
