//! Golden tests: every comm100 seed example through both directions, snapshotted in
//! `tests/golden/` (`UPDATE_EXPECT=1 cargo test -p agentgw-comm100` rewrites them: review the
//! diff as a change of behaviour).

use agentgw_comm100::testing::mapping::{self, Write};
use agentgw_comm100::testing::wire;
use agentgw_tests::golden::{agent_of, parse, pretty};
use expect_test::expect_file;

const D: &str = "comm100";

#[test]
fn write_requests_in_and_upstream() {
    let create = mapping::validate(parse(D, "create_request.json"), Write::Create).expect("valid");
    let new = mapping::new_agent(create, Vec::new());
    expect_file!["golden/create_request.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/create_request.upstream.json"].assert_eq(&pretty(&mapping::to_upstream(
        &new.profile,
        new.password.as_ref(),
    )));
    let update = mapping::validate(parse(D, "update_request.json"), Write::Replace).expect("valid");
    expect_file!["golden/update_request.canonical.txt"]
        .assert_debug_eq(&mapping::replace(update, Vec::new()));
}

#[test]
fn responses_from_upstream_and_rendered() {
    let mut agents: Vec<wire::Agent> = parse(D, "list_response.json");
    for name in [
        "get_response.json",
        "create_response.json",
        "update_response.json",
    ] {
        agents.push(parse(D, name));
    }
    let remote: Vec<_> = agents.into_iter().map(mapping::from_upstream).collect();
    expect_file!["golden/responses.canonical.txt"].assert_debug_eq(&remote);
    let shown: Vec<wire::Agent> = remote
        .into_iter()
        .enumerate()
        .map(|(i, r)| mapping::to_wire(&agent_of(r, i as i64 + 1), &[]))
        .collect();
    expect_file!["golden/responses.rendered.json"].assert_eq(&pretty(&shown));
}
