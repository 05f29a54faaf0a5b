//! Golden tests: every supporthub seed example through both directions, snapshotted in
//! `tests/golden/` (`UPDATE_EXPECT=1 cargo test -p agentgw-supporthub` rewrites them: review
//! the diff as a change of behaviour).

use agentgw_model::{FlagKind, Profile};
use agentgw_supporthub::testing::mapping::{self, Includes};
use agentgw_supporthub::testing::wire;
use agentgw_tests::golden::{agent_of, parse, pretty};
use expect_test::expect_file;
use serde_json::{Map, Value};

const D: &str = "supporthub";

#[test]
fn create_request_in_and_upstream() {
    let new =
        mapping::new_agent(&parse::<Map<String, Value>>(D, "create_request.json")).expect("valid");
    expect_file!["golden/create_request.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/create_request.upstream.json"]
        .assert_eq(&pretty(&mapping::to_upstream_create(&new)));
}

#[test]
fn update_request_in_and_upstream() {
    let patch =
        mapping::patch(&parse::<Map<String, Value>>(D, "update_request.json")).expect("valid");
    expect_file!["golden/update_request.canonical.txt"].assert_debug_eq(&patch);
    let current = Profile::default();
    let mut desired = current.clone();
    patch.clone().apply(&mut desired);
    expect_file!["golden/update_request.upstream.json"].assert_eq(&pretty(
        &mapping::to_upstream_update(&current, &desired, patch.password.as_ref()),
    ));
}

#[test]
fn flag_requests_in_and_views_out() {
    for (kind, request, name) in [
        (
            FlagKind::Permissions,
            "permissions_update_request.json",
            "permissions",
        ),
        (
            FlagKind::Notifications,
            "notifications_update_request.json",
            "notifications",
        ),
    ] {
        let changes = mapping::flags_patch(&parse(D, request), kind).expect("valid");
        let shown = mapping::flags_view(&changes, kind);
        let text = format!("{changes:#?}\n{}", pretty(&shown));
        match name {
            "permissions" => expect_file!["golden/permissions.txt"].assert_eq(&text),
            _ => expect_file!["golden/notifications.txt"].assert_eq(&text),
        }
    }
}

#[test]
fn responses_from_upstream_and_rendered() {
    let agents: Vec<wire::Agent> = [
        "list_item.json",
        "create_response.json",
        "view_response.json",
        "update_response.json",
    ]
    .into_iter()
    .map(|name| {
        let v: Value = parse(D, name);
        serde_json::from_value(v.get("data").cloned().unwrap_or(v)).expect("an agent")
    })
    .collect();
    let remote: Vec<_> = agents.into_iter().map(mapping::from_upstream).collect();
    expect_file!["golden/responses.canonical.txt"].assert_debug_eq(&remote);
    let shown: Vec<wire::Agent> = remote
        .into_iter()
        .enumerate()
        .map(|(i, r)| mapping::to_wire(&agent_of(r, i as i64 + 1), Includes::default()))
        .collect();
    expect_file!["golden/responses.rendered.json"].assert_eq(&pretty(&shown));
}
