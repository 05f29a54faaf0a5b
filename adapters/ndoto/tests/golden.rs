//! Golden tests: every ndoto seed example through both directions, snapshotted in
//! `tests/golden/` (`UPDATE_EXPECT=1 cargo test -p agentgw-ndoto` rewrites them: review the
//! diff as a change of behaviour).

use agentgw_model::Profile;
use agentgw_ndoto::testing::{mapping, wire};
use agentgw_tests::golden::{agent_of, parse, pretty};
use expect_test::expect_file;

const D: &str = "ndoto";

#[test]
fn create_request_in_and_upstream() {
    let mut req: wire::CreateAgent = parse(D, "create_request.json");
    // The seed's email is a scraped placeholder (`[email protected]`).
    req.email = Some("alex@example.com".into());
    let new = mapping::new_agent(req).expect("valid");
    expect_file!["golden/create_request.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/create_request.upstream.json"]
        .assert_eq(&pretty(&mapping::to_upstream_create(&new.profile)));
}

#[test]
fn update_request_in_and_upstream() {
    let patch = mapping::patch(parse(D, "update_request.json")).expect("valid");
    expect_file!["golden/update_request.canonical.txt"].assert_debug_eq(&patch);
    let current = Profile {
        display_name: "Alex Banda".into(),
        ..Profile::default()
    };
    let mut desired = current.clone();
    patch.apply(&mut desired);
    expect_file!["golden/update_request.upstream.json"]
        .assert_eq(&pretty(&mapping::to_upstream_update(&current, &desired)));
}

#[test]
fn list_response_from_upstream_and_rendered() {
    let agents: Vec<wire::Agent> = parse(D, "list_response.json");
    let remote: Vec<_> = agents.into_iter().map(mapping::from_upstream).collect();
    expect_file!["golden/list_response.canonical.txt"].assert_debug_eq(&remote);
    let shown: Vec<wire::Agent> = remote
        .into_iter()
        .enumerate()
        .map(|(i, r)| mapping::to_wire(&agent_of(r, i as i64 + 1), 1))
        .collect();
    expect_file!["golden/list_response.rendered.json"].assert_eq(&pretty(&shown));
}
