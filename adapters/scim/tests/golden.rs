//! Golden tests: SCIM's published examples (RFC 7643/7644, Okta's and Microsoft's documented
//! requests, `tests/fixtures/scim/`) through both directions, snapshotted in `tests/golden/`
//! (`UPDATE_EXPECT=1 cargo test -p agentgw-scim` rewrites them: review the diff as a change of
//! behaviour).

use agentgw_core::RemoteAgent;
use agentgw_model::{NewAgent, Team};
use agentgw_scim::testing::wire::{Operation, PatchRequest, User};
use agentgw_scim::testing::{mapping, outbound, patch};
use agentgw_tests::golden::{agent_of, fixture, moment, pretty};
use expect_test::expect_file;
use serde_json::{Map, Value};

const D: &str = "scim";
const BASE: &str = "https://gw.example.com/scim/v2";

/// A fixture as the face reads a body: attribute names in RFC 7643's case, then a User.
fn user(name: &str) -> User {
    let raw: Value =
        serde_json::from_str(&fixture(D, name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_value(mapping::canonical_keys(raw))
        .unwrap_or_else(|e| panic!("{name} is not a User: {e}"))
}

/// What the face stores for a create, and the agent it renders back (one team, fixed ids).
fn created(name: &str) -> (NewAgent, Value) {
    let new = mapping::new_agent(&user(name), Some("scim.invalid"))
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let agent = agent_of(
        RemoteAgent {
            id: "1".into(),
            profile: new.profile.clone(),
            created_at: Some(moment()),
            updated_at: Some(moment()),
        },
        1,
    );
    let team = Team {
        id: 1,
        guid: uuid::Uuid::from_u128(7),
        name: "Tour Guides".into(),
        ..Team::default()
    };
    let rendered = mapping::render(&agent, &[team], BASE);
    (new, rendered)
}

#[test]
fn rfc7643_full_user_in_rendered_and_upstream() {
    let (new, rendered) = created("rfc7643_full_user.json");
    expect_file!["golden/rfc7643_full_user.canonical.txt"].assert_debug_eq(&new);
    expect_file!["golden/rfc7643_full_user.rendered.json"].assert_eq(&pretty(&rendered));
    let upstream = outbound::to_upstream(&new.profile, new.password.as_ref()).expect("encodes");
    expect_file!["golden/rfc7643_full_user.upstream.json"].assert_eq(&pretty(&upstream));
}

#[test]
fn rfc7643_full_user_from_a_service_provider() {
    let raw: Value = serde_json::from_str(&fixture(D, "rfc7643_full_user.json")).expect("json");
    let remote = outbound::from_upstream(raw).expect("reads");
    expect_file!["golden/rfc7643_full_user.from_upstream.txt"].assert_debug_eq(&remote);
}

#[test]
fn okta_and_entra_creates() {
    for name in ["okta_create", "entra_create"] {
        let (new, rendered) = created(&format!("{name}.json"));
        expect_file![format!("golden/{name}.canonical.txt")].assert_debug_eq(&new);
        expect_file![format!("golden/{name}.rendered.json")].assert_eq(&pretty(&rendered));
    }
}

fn operations(name: &str) -> Vec<Operation> {
    let body: Value = serde_json::from_str(&fixture(D, name)).expect("json");
    let Value::Object(body) = body else {
        panic!("{name} is an object")
    };
    let request: PatchRequest =
        serde_json::from_value(Value::Object(mapping::canonical_patch(body))).expect("a PatchOp");
    request.operations
}

#[test]
fn entra_patch_applied_to_its_user() {
    let (_, rendered) = created("entra_create.json");
    let Value::Object(mut resource) = rendered else {
        panic!("an object")
    };
    patch::apply(
        &mut resource,
        &operations("entra_patch.json"),
        agentgw_scim::testing::inbound::USER_MULTI,
    )
    .expect("applies");
    expect_file!["golden/entra_patch.patched.json"].assert_eq(&pretty(&resource));
    let patched: User = serde_json::from_value(Value::Object(resource)).expect("still a User");
    let replace = mapping::replace(&patched, None).expect("a valid replace");
    expect_file!["golden/entra_patch.replace.txt"].assert_debug_eq(&replace);
}

#[test]
fn rfc7644_members_added_and_removed() {
    let mut group: Map<String, Value> = serde_json::from_value(serde_json::json!({
        "schemas": [agentgw_scim::testing::wire::GROUP],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [{"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}]
    }))
    .expect("object");
    patch::apply(
        &mut group,
        &operations("rfc7644_group_patch.json"),
        &["members"],
    )
    .expect("applies");
    expect_file!["golden/rfc7644_group_patch.patched.json"].assert_eq(&pretty(&group));
}
