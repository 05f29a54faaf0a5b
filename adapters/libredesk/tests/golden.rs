//! Golden tests: every libredesk seed example through both directions, snapshotted in
//! `tests/golden/` (`UPDATE_EXPECT=1 cargo test -p agentgw-libredesk` rewrites them: review the
//! diff as a change of behaviour).

use agentgw_libredesk::testing::{mapping, wire};
use agentgw_model::Team;
use agentgw_tests::golden::{agent_of, parse, pretty};
use expect_test::expect_file;

const D: &str = "libredesk";

#[test]
fn create_request_in_and_upstream() {
    let mut req: wire::AgentRequest = parse(D, "create_request.json");
    // The seed's role and email are placeholders (`<string>`, a scraped `[email protected]`).
    req.role = Some("Admin".into());
    req.email = Some("john@example.com".into());
    let v = mapping::validate(req, mapping::Request::Create).expect("valid");
    let new = mapping::new_agent(v.clone(), v.teams.clone());
    expect_file!["golden/create_request.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/create_request.upstream.json"].assert_eq(&pretty(&mapping::to_upstream(
        &new.profile,
        new.password.as_ref(),
    )));
    expect_file!["golden/create_request.replace.txt"]
        .assert_debug_eq(&mapping::replace(v.clone(), v.teams));
}

#[test]
fn create_response_from_upstream_and_rendered() {
    let envelope: wire::Envelope<wire::Agent> = parse(D, "create_response.json");
    let remote = mapping::from_upstream(envelope.data);
    expect_file!["golden/create_response.canonical.txt"].assert_debug_eq(&remote);
    let agent = agent_of(remote, 1);
    let teams: Vec<Team> = agent
        .profile
        .teams
        .iter()
        .enumerate()
        .map(|(i, name)| Team {
            id: i as i64 + 1,
            guid: uuid::Uuid::from_u128(i as u128 + 1),
            name: name.clone(),
            emoji: "💬".into(),
            ..Team::default()
        })
        .collect();
    let shown = (
        mapping::to_full(&agent, &teams),
        mapping::to_compact(&agent),
    );
    expect_file!["golden/create_response.rendered.json"].assert_eq(&pretty(&shown));
}
