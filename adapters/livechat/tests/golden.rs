//! Golden tests: every livechat seed example through both directions, snapshotted in
//! `tests/golden/` (`UPDATE_EXPECT=1 cargo test -p agentgw-livechat` rewrites them: review the
//! diff as a change of behaviour).

use agentgw_livechat::testing::mapping::{self, UserType};
use agentgw_livechat::testing::wire;
use agentgw_tests::golden::{agent_of, parse, pretty};
use expect_test::expect_file;

const D: &str = "livechat";

#[test]
fn register_request_in_and_upstream() {
    let req: wire::Register = parse(D, "register_request.json");
    let new = mapping::new_agent(&req.username, UserType::Manager, "example.com");
    expect_file!["golden/register_request.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/register_request.upstream.json"]
        .assert_eq(&pretty(&mapping::to_upstream_register(&new.profile)));
}

#[test]
fn responses_from_upstream_and_rendered() {
    let list: wire::UserList = parse(D, "list_response.json");
    let found: wire::Found = parse(D, "get_response.json");
    let users = list.users.into_iter().chain(found.user);
    let remote: Vec<_> = users.map(|u| mapping::from_upstream(u, false)).collect();
    expect_file!["golden/responses.canonical.txt"].assert_debug_eq(&remote);
    let shown: Vec<wire::User> = remote
        .into_iter()
        .enumerate()
        .map(|(i, r)| mapping::to_user(&agent_of(r, i as i64 + 1)))
        .collect();
    expect_file!["golden/responses.rendered.json"].assert_eq(&pretty(&shown));
}
