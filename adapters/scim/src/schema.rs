//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`,
//! describing only what this face really does and the attributes agentgw really keeps.

use serde_json::{Value, json};

use crate::wire;

/// The most resources one list answers (`filter.maxResults`).
pub const MAX_RESULTS: u64 = 200;

/// One attribute of a schema, as a table row: name, type, multi-valued, required, mutability,
/// returned, uniqueness, case-exact, its sub-attributes, what a reference may point to, and
/// the values a string may take.
struct A {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    returned: &'static str,
    unique: &'static str,
    case_exact: bool,
    sub: &'static [A],
    refs: &'static [&'static str],
    canonical: &'static [&'static str],
}

const fn a(name: &'static str, kind: &'static str) -> A {
    A {
        name,
        kind,
        multi: false,
        required: false,
        mutability: "readWrite",
        returned: "default",
        unique: "none",
        case_exact: false,
        sub: &[],
        refs: &["external"],
        canonical: &[],
    }
}

const NAME_PARTS: &[A] = &[
    a("formatted", "string"),
    a("familyName", "string"),
    a("givenName", "string"),
    a("middleName", "string"),
    a("honorificPrefix", "string"),
    a("honorificSuffix", "string"),
];

const VALUE_TYPE_PRIMARY: &[A] = &[
    a("value", "string"),
    a("type", "string"),
    a("primary", "boolean"),
];

// A photo's value is a URL (RFC 7643 §4.1.2: a reference, external).
const PHOTO_PARTS: &[A] = &[
    a("value", "reference"),
    a("type", "string"),
    a("primary", "boolean"),
];

const ROLE_PARTS: &[A] = &[
    a("value", "string"),
    a("display", "string"),
    a("primary", "boolean"),
];

const GROUP_REF: &[A] = &[
    A {
        mutability: "readOnly",
        ..a("value", "string")
    },
    A {
        mutability: "readOnly",
        refs: &["Group"],
        ..a("$ref", "reference")
    },
    A {
        mutability: "readOnly",
        ..a("display", "string")
    },
    A {
        mutability: "readOnly",
        canonical: &["direct"],
        ..a("type", "string")
    },
];

const USER: &[A] = &[
    A {
        required: true,
        unique: "server",
        ..a("userName", "string")
    },
    A {
        sub: NAME_PARTS,
        ..a("name", "complex")
    },
    a("displayName", "string"),
    a("nickName", "string"),
    a("profileUrl", "reference"),
    a("title", "string"),
    a("userType", "string"),
    a("preferredLanguage", "string"),
    a("locale", "string"),
    a("timezone", "string"),
    a("active", "boolean"),
    A {
        mutability: "writeOnly",
        returned: "never",
        case_exact: true,
        ..a("password", "string")
    },
    // Every helpdesk needs an agent's email: the one agentgw keeps is the primary (or work) one.
    A {
        multi: true,
        required: true,
        sub: VALUE_TYPE_PRIMARY,
        ..a("emails", "complex")
    },
    A {
        multi: true,
        sub: VALUE_TYPE_PRIMARY,
        ..a("phoneNumbers", "complex")
    },
    A {
        multi: true,
        sub: PHOTO_PARTS,
        ..a("photos", "complex")
    },
    A {
        multi: true,
        sub: ROLE_PARTS,
        ..a("roles", "complex")
    },
    A {
        multi: true,
        mutability: "readOnly",
        sub: GROUP_REF,
        ..a("groups", "complex")
    },
];

const MANAGER: &[A] = &[
    a("value", "string"),
    A {
        refs: &["User"],
        ..a("$ref", "reference")
    },
    A {
        mutability: "readOnly",
        ..a("displayName", "string")
    },
];

const ENTERPRISE: &[A] = &[
    a("employeeNumber", "string"),
    a("costCenter", "string"),
    a("organization", "string"),
    a("division", "string"),
    a("department", "string"),
    A {
        sub: MANAGER,
        ..a("manager", "complex")
    },
];

// Members are Users: a team holds agents, not other teams.
const MEMBER: &[A] = &[
    A {
        mutability: "immutable",
        ..a("value", "string")
    },
    A {
        mutability: "immutable",
        refs: &["User"],
        ..a("$ref", "reference")
    },
    A {
        mutability: "readOnly",
        returned: "request",
        ..a("display", "string")
    },
    A {
        mutability: "immutable",
        canonical: &["User"],
        ..a("type", "string")
    },
];

const GROUP: &[A] = &[
    A {
        required: true,
        unique: "server",
        ..a("displayName", "string")
    },
    A {
        multi: true,
        sub: MEMBER,
        ..a("members", "complex")
    },
];

fn attribute(x: &A) -> Value {
    let mut v = json!({
        "name": x.name,
        "type": x.kind,
        "multiValued": x.multi,
        "description": "",
        "required": x.required,
        "caseExact": x.case_exact,
        "mutability": x.mutability,
        "returned": x.returned,
        "uniqueness": x.unique,
    });
    if !x.sub.is_empty() {
        v["subAttributes"] = x.sub.iter().map(attribute).collect();
    }
    if x.kind == "reference" {
        v["referenceTypes"] = json!(x.refs);
    }
    if !x.canonical.is_empty() {
        v["canonicalValues"] = json!(x.canonical);
    }
    v
}

fn schema(id: &str, name: &str, description: &str, attributes: &[A], base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(attribute).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// Every schema this face serves.
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        schema(wire::USER, "User", "An agent of the helpdesk", USER, base),
        schema(wire::GROUP, "Group", "A team of the helpdesk", GROUP, base),
        schema(
            wire::ENTERPRISE,
            "EnterpriseUser",
            "Enterprise attributes of an agent, kept as sent",
            ENTERPRISE,
            base,
        ),
    ]
}

/// Every resource type this face serves.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "Agents of the helpdesk",
            "schema": wire::USER,
            "schemaExtensions": [{"schema": wire::ENTERPRISE, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Teams of the helpdesk",
            "schema": wire::GROUP,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// What this face supports.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/agentgw/agentgw/blob/main/adapters/scim/README.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token the route's configuration lists",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
