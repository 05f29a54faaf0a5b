//! RFC 7644 §3.5.2 PATCH, applied to a resource's JSON: the resource as this face renders it,
//! changed operation by operation, then read back as a full replace. Paths are parsed by
//! `scim_v2` (attribute paths, sub-attributes, value-path filters, URN-qualified extension
//! attributes); operations are matched case-insensitively, as Entra ID capitalises them.
//!
//! What identity providers send that the RFC leaves open, and what this does:
//! - a path-less `add`/`replace` whose value's keys are paths (`"name.givenName"`, an
//!   extension's URN-qualified attribute): each key is applied as that path;
//! - `replace` on a value path that matches nothing (`emails[type eq "work"].value` on a user
//!   without one): the value is added with the filter's `eq` attributes, as Entra ID expects;
//! - `remove` on a multi-valued attribute with a value listing members: those members go.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::mapping::canonical_name;
use crate::wire::{self, Operation};

/// Attributes a client may never change (RFC 7643: `mutability: readOnly`).
const READ_ONLY: [&str; 3] = ["id", "meta", "groups"];

/// The most operations one PATCH may carry.
pub const MAX_OPERATIONS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::NoTarget, detail)
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidPath, detail)
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// Apply `operations` to `resource` (a User's or Group's JSON, keys in RFC 7643's case).
/// `multi` says which attributes are multi-valued (`emails`, `members`, …).
pub fn apply(
    resource: &mut Map<String, Value>,
    operations: &[Operation],
    multi: &[&str],
) -> Result<(), ScimError> {
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            ScimType::TooMany,
            format!("at most {MAX_OPERATIONS} operations in one PATCH"),
        ));
    }
    for operation in operations {
        let kind = match operation.op.to_ascii_lowercase().as_str() {
            "add" => Kind::Add,
            "remove" => Kind::Remove,
            "replace" => Kind::Replace,
            _ => {
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    "op is add, remove or replace",
                ));
            }
        };
        let value = operation.value.clone().map(crate::mapping::canonical_keys);
        match operation
            .path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(path) => one(resource, kind, path, value, multi)?,
            None => pathless(resource, kind, value, multi)?,
        }
        one_primary(resource, multi);
    }
    Ok(())
}

/// At most one value of a multi-valued attribute is primary (RFC 7643 §2.4): a value made
/// primary by an operation leaves the others not primary (RFC 7644 §3.5.2). New values are
/// appended, so the last primary one is the newest.
fn one_primary(resource: &mut Map<String, Value>, multi: &[&str]) {
    for name in multi {
        let Some(Value::Array(items)) = resource.get_mut(*name) else {
            continue;
        };
        let is_primary = |v: &Value| v.get("primary").and_then(Value::as_bool) == Some(true);
        let Some(last) = items.iter().rposition(is_primary) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            if i != last
                && is_primary(item)
                && let Some(object) = item.as_object_mut()
            {
                object.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

/// A path-less `add` or `replace`: the value is an object of attributes (or of paths).
fn pathless(
    resource: &mut Map<String, Value>,
    kind: Kind,
    value: Option<Value>,
    multi: &[&str],
) -> Result<(), ScimError> {
    if kind == Kind::Remove {
        return Err(no_target("remove needs a path"));
    }
    let Some(Value::Object(attributes)) = value else {
        return Err(invalid_value(
            "without a path, the value is an object of attributes",
        ));
    };
    for (key, v) in attributes {
        if key.eq_ignore_ascii_case(wire::ENTERPRISE) {
            // The extension's object, merged attribute by attribute.
            let Value::Object(inner) = v else {
                return Err(invalid_value("an extension's value is an object"));
            };
            for (attr, v) in inner {
                one(
                    resource,
                    kind,
                    &format!("{}:{attr}", wire::ENTERPRISE),
                    Some(v),
                    multi,
                )?;
            }
        } else if key.eq_ignore_ascii_case("schemas") {
            continue;
        } else {
            one(resource, kind, &key, Some(v), multi)?;
        }
    }
    Ok(())
}

/// The object an attribute path lives in: the resource, or its extension's object.
fn container<'a>(
    resource: &'a mut Map<String, Value>,
    path: &AttrPath,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, ScimError> {
    match path.uri.as_deref() {
        None => Ok(Some(resource)),
        Some(uri)
            if uri.eq_ignore_ascii_case(wire::USER) || uri.eq_ignore_ascii_case(wire::GROUP) =>
        {
            Ok(Some(resource))
        }
        Some(uri) if uri.eq_ignore_ascii_case(wire::ENTERPRISE) => {
            if !resource.contains_key(wire::ENTERPRISE) {
                if !create {
                    return Ok(None);
                }
                resource.insert(wire::ENTERPRISE.to_owned(), Value::Object(Map::new()));
                add_schema(resource, wire::ENTERPRISE);
            }
            match resource.get_mut(wire::ENTERPRISE) {
                Some(Value::Object(inner)) => Ok(Some(inner)),
                _ => Err(invalid_value("the enterprise extension is an object")),
            }
        }
        Some(_) => Err(invalid_path(
            "an attribute of a schema this resource does not have",
        )),
    }
}

fn add_schema(resource: &mut Map<String, Value>, schema: &str) {
    if let Some(Value::Array(schemas)) = resource.get_mut("schemas")
        && !schemas.iter().any(|s| s.as_str() == Some(schema))
    {
        schemas.push(Value::String(schema.to_owned()));
    }
}

/// An attribute's name as the resource keeps it (RFC 7643's case when it is one of its own).
fn key(name: &str) -> String {
    canonical_name(name).map_or_else(|| name.to_owned(), str::to_owned)
}

fn one(
    resource: &mut Map<String, Value>,
    kind: Kind,
    path: &str,
    value: Option<Value>,
    multi: &[&str],
) -> Result<(), ScimError> {
    if path.len() > crate::filter::MAX_FILTER_BYTES || path.matches(['(', '[']).count() > 32 {
        return Err(invalid_path("the path is too long or nests too deep"));
    }
    if path.eq_ignore_ascii_case(wire::ENTERPRISE) {
        // The extension as a whole: its sub-attributes merged (RFC 7644 §3.5.2.3), or removed.
        if kind == Kind::Remove {
            resource.remove(wire::ENTERPRISE);
            if let Some(Value::Array(schemas)) = resource.get_mut("schemas") {
                schemas.retain(|s| s.as_str() != Some(wire::ENTERPRISE));
            }
            return Ok(());
        }
        let mut whole = Map::new();
        whole.insert(wire::ENTERPRISE.to_owned(), value.unwrap_or(Value::Null));
        return pathless(resource, kind, Some(Value::Object(whole)), multi);
    }
    let parsed: PatchPath = path
        .parse()
        .map_err(|_| invalid_path("the path does not parse"))?;
    let attr = match &parsed {
        PatchPath::Attr(a) => a,
        PatchPath::Value(v) => &v.attr,
    };
    let name = key(&attr.name);
    if attr.uri.is_none() && READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("{name} is read-only"),
        ));
    }
    if kind != Kind::Remove && value.is_none() {
        return Err(invalid_value("add and replace need a value"));
    }
    let is_multi = attr.uri.is_none() && multi.iter().any(|m| m.eq_ignore_ascii_case(&name));
    let Some(target) = container(resource, attr, kind != Kind::Remove)? else {
        return Ok(()); // removing from an extension the resource does not have
    };
    match parsed {
        PatchPath::Attr(ref a) => match &a.sub_attr {
            None => whole(target, kind, &name, value, is_multi),
            Some(sub) => sub_attribute(target, kind, &name, &key(sub), value, is_multi),
        },
        PatchPath::Value(ref v) => {
            let sub = v.sub_attr.as_deref().map(key);
            filtered(target, kind, &name, &v.filter, sub.as_deref(), value)
        }
    }
}

/// An attribute as a whole.
fn whole(
    target: &mut Map<String, Value>,
    kind: Kind,
    name: &str,
    value: Option<Value>,
    is_multi: bool,
) -> Result<(), ScimError> {
    match (kind, value) {
        (Kind::Remove, Some(Value::Array(remove))) if is_multi => {
            // `remove` with a value: the listed values go (members by their `value`).
            if let Some(Value::Array(items)) = target.get_mut(name) {
                let gone: Vec<Value> = remove
                    .iter()
                    .map(|r| r.get("value").cloned().unwrap_or_else(|| r.clone()))
                    .collect();
                items.retain(|i| !gone.contains(i.get("value").unwrap_or(i)));
            }
            Ok(())
        }
        (Kind::Remove, _) => {
            target.remove(name);
            Ok(())
        }
        (Kind::Add, Some(v)) if is_multi => {
            let added = match v {
                Value::Array(items) => items,
                single => vec![single],
            };
            match target.get_mut(name) {
                Some(Value::Array(items)) => {
                    for item in added {
                        // Adding a value already there changes nothing (RFC 7644 §3.5.2.1).
                        let same = |i: &Value| match (i.get("value"), item.get("value")) {
                            (Some(a), Some(b)) => a == b,
                            _ => *i == item,
                        };
                        if !items.iter().any(same) {
                            items.push(item);
                        }
                    }
                }
                _ => {
                    target.insert(name.to_owned(), Value::Array(added));
                }
            }
            Ok(())
        }
        (Kind::Add, Some(Value::Object(fields))) => {
            // A complex attribute: its sub-attributes merged in.
            match target.get_mut(name) {
                Some(Value::Object(current)) => {
                    current.extend(fields.into_iter().map(|(k, v)| (key(&k), v)))
                }
                _ => {
                    target.insert(name.to_owned(), Value::Object(fields));
                }
            }
            Ok(())
        }
        (Kind::Replace, Some(v)) if is_multi => {
            let items = match v {
                Value::Array(items) => items,
                single => vec![single],
            };
            target.insert(name.to_owned(), Value::Array(items));
            Ok(())
        }
        (_, Some(v)) => {
            target.insert(name.to_owned(), v);
            Ok(())
        }
        (_, None) => Err(invalid_value("add and replace need a value")),
    }
}

/// `name.sub`: a complex attribute's sub-attribute (or, for a multi-valued one, every value's).
fn sub_attribute(
    target: &mut Map<String, Value>,
    kind: Kind,
    name: &str,
    sub: &str,
    value: Option<Value>,
    is_multi: bool,
) -> Result<(), ScimError> {
    if is_multi {
        let Some(Value::Array(items)) = target.get_mut(name) else {
            return match kind {
                Kind::Remove => Ok(()),
                _ => {
                    let mut item = Map::new();
                    item.insert(sub.to_owned(), value.unwrap_or(Value::Null));
                    target.insert(name.to_owned(), Value::Array(vec![Value::Object(item)]));
                    Ok(())
                }
            };
        };
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            set(item, kind, sub, value.clone());
        }
        return Ok(());
    }
    let entry = target
        .entry(name.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    match entry {
        Value::Object(inner) => {
            set(inner, kind, sub, value);
            Ok(())
        }
        _ => Err(invalid_path(format!("{name} has no sub-attributes"))),
    }
}

fn set(object: &mut Map<String, Value>, kind: Kind, sub: &str, value: Option<Value>) {
    match (kind, value) {
        (Kind::Remove, _) | (_, None) => {
            object.remove(sub);
        }
        (_, Some(v)) => {
            object.insert(sub.to_owned(), v);
        }
    }
}

/// `name[filter]` or `name[filter].sub`: the values of a multi-valued attribute the filter
/// selects.
fn filtered(
    target: &mut Map<String, Value>,
    kind: Kind,
    name: &str,
    filter: &ValFilter,
    sub: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let items = match target.get_mut(name) {
        Some(Value::Array(items)) => items,
        _ => {
            target.insert(name.to_owned(), Value::Array(Vec::new()));
            match target.get_mut(name) {
                Some(Value::Array(items)) => items,
                _ => return Err(no_target("nothing to change")),
            }
        }
    };
    let selected: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| selects(filter, item))
        .map(|(i, _)| i)
        .collect();
    if selected.is_empty() {
        return match kind {
            Kind::Remove => Ok(()),
            // Nothing matches: add one that does (Entra ID's `emails[type eq "work"].value`).
            Kind::Add | Kind::Replace => {
                let mut item = implied(filter);
                match (sub, value) {
                    (Some(sub), Some(v)) => {
                        item.insert(sub.to_owned(), v);
                    }
                    (None, Some(Value::Object(fields))) => item.extend(fields),
                    _ => return Err(no_target("no value matches the filter")),
                }
                items.push(Value::Object(item));
                Ok(())
            }
        };
    }
    match (kind, sub) {
        (Kind::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                let keep = !selected.contains(&i);
                i += 1;
                keep
            });
        }
        (_, Some(sub)) => {
            for &i in &selected {
                if let Some(item) = items.get_mut(i).and_then(Value::as_object_mut) {
                    set(item, kind, sub, value.clone());
                }
            }
        }
        (_, None) => {
            for &i in &selected {
                match (items.get_mut(i), value.clone()) {
                    (Some(Value::Object(item)), Some(Value::Object(fields)))
                        if kind == Kind::Add =>
                    {
                        item.extend(fields);
                    }
                    (Some(slot), Some(v)) => *slot = v,
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// Whether a value filter selects `item` (its sub-attributes compared as SCIM says: strings
/// case-insensitively, `type`, `value`, `primary`, `display` and the like).
fn selects(filter: &ValFilter, item: &Value) -> bool {
    match filter {
        ValFilter::Attr(exp) => matches_exp(exp, item),
        ValFilter::Not(inner) => !selects(inner, item),
        ValFilter::And(items) => items.iter().all(|f| selects(f, item)),
        ValFilter::Or(items) => items.iter().any(|f| selects(f, item)),
    }
}

fn field<'a>(item: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let obj = item.as_object()?;
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
        .map(|(_, v)| v)
}

fn matches_exp(exp: &AttrExp, item: &Value) -> bool {
    match exp {
        AttrExp::Present(path) => field(item, path).is_some_and(|v| !v.is_null()),
        AttrExp::Comparison(path, op, want) => {
            let have = field(item, path);
            let text = |v: &Value| match v {
                Value::String(s) => Some(s.to_lowercase()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let want = match want {
                CompValue::Str(s) => Some(s.to_lowercase()),
                CompValue::True => Some("true".into()),
                CompValue::False => Some("false".into()),
                CompValue::Number(n) => Some(n.to_string()),
                CompValue::Null => None,
            };
            let have = have.and_then(text);
            match (op, have, want) {
                (CompareOp::Eq, have, want) => have == want,
                (CompareOp::Ne, have, want) => have != want,
                (CompareOp::Co, Some(h), Some(w)) => h.contains(&w),
                (CompareOp::Sw, Some(h), Some(w)) => h.starts_with(&w),
                (CompareOp::Ew, Some(h), Some(w)) => h.ends_with(&w),
                (CompareOp::Gt, Some(h), Some(w)) => h > w,
                (CompareOp::Ge, Some(h), Some(w)) => h >= w,
                (CompareOp::Lt, Some(h), Some(w)) => h < w,
                (CompareOp::Le, Some(h), Some(w)) => h <= w,
                _ => false,
            }
        }
    }
}

/// The sub-attributes a filter's `eq` tests imply, for a value added because none matched.
fn implied(filter: &ValFilter) -> Map<String, Value> {
    let mut out = Map::new();
    let mut pending = vec![filter];
    while let Some(f) = pending.pop() {
        match f {
            ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) => {
                let v = match value {
                    CompValue::Str(s) => Value::String(s.clone()),
                    CompValue::True => Value::Bool(true),
                    CompValue::False => Value::Bool(false),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => Value::Null,
                };
                out.insert(key(&path.name), v);
            }
            ValFilter::And(items) => pending.extend(items.iter()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MULTI: &[&str] = &["emails", "phoneNumbers", "photos", "roles", "members"];

    fn run(start: Value, ops: Value) -> Result<Value, ScimError> {
        let mut resource = start.as_object().cloned().unwrap_or_default();
        let ops: Vec<Operation> = serde_json::from_value(ops).unwrap_or_default();
        apply(&mut resource, &ops, MULTI).map(|()| Value::Object(resource))
    }

    #[test]
    fn okta_deactivates_without_a_path() {
        let out = run(
            json!({"userName": "a", "active": true}),
            json!([{"op": "replace", "value": {"active": false}}]),
        );
        assert_eq!(out.ok(), Some(json!({"userName": "a", "active": false})));
    }

    #[test]
    fn entra_capitalises_ops_and_sends_dotted_keys_and_value_paths() {
        let out = run(
            json!({"schemas": [wire::USER], "userName": "a", "name": {"givenName": "A"}, "emails": []}),
            json!([
                {"op": "Replace", "value": {"name.givenName": "Alice", "active": "False"}},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@contoso.com"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}
            ]),
        );
        assert_eq!(
            out.ok(),
            Some(json!({
                "schemas": [wire::USER, wire::ENTERPRISE],
                "userName": "a",
                "name": {"givenName": "Alice"},
                "active": "False",
                "emails": [{"type": "work", "value": "a@contoso.com"}],
                wire::ENTERPRISE: {"department": "Sales"}
            }))
        );
    }

    #[test]
    fn a_value_added_as_primary_leaves_the_others_not_primary() {
        let start =
            json!({"schemas": [wire::USER], "roles": [{"value": "agent", "primary": true}]});
        let out = run(
            start,
            json!([{"op": "add", "path": "roles", "value": [{"value": "lead", "primary": true}]}]),
        )
        .expect("applies");
        assert_eq!(
            out["roles"],
            json!([{"value": "agent", "primary": false}, {"value": "lead", "primary": true}])
        );
    }

    #[test]
    fn an_extension_named_whole_is_merged_or_removed() {
        let start = json!({"schemas": [wire::USER], "userName": "a"});
        let added = run(
            start,
            json!([{"op": "add", "path": wire::ENTERPRISE, "value": {"department": "D", "employeeNumber": "7"}}]),
        )
        .expect("applies");
        assert_eq!(
            added[wire::ENTERPRISE],
            json!({"department": "D", "employeeNumber": "7"})
        );
        assert_eq!(added["schemas"], json!([wire::USER, wire::ENTERPRISE]));
        let removed =
            run(added, json!([{"op": "remove", "path": wire::ENTERPRISE}])).expect("applies");
        assert!(removed.get(wire::ENTERPRISE).is_none());
        assert_eq!(removed["schemas"], json!([wire::USER]));
    }

    #[test]
    fn members_are_added_once_and_removed_by_filter_or_by_value() {
        let start = json!({"members": [{"value": "1"}, {"value": "2"}]});
        let out = run(
            start,
            json!([
                {"op": "add", "path": "members", "value": [{"value": "2"}, {"value": "3"}]},
                {"op": "remove", "path": "members[value eq \"1\"]"},
                {"op": "remove", "path": "members", "value": [{"value": "3"}]}
            ]),
        );
        assert_eq!(out.ok(), Some(json!({"members": [{"value": "2"}]})));
    }

    #[test]
    fn read_only_attributes_paths_and_ops_are_refused() {
        let refused = |ops: Value| {
            run(json!({"userName": "a"}), ops)
                .err()
                .and_then(|e| e.scim_type)
        };
        assert_eq!(
            refused(json!([{"op": "replace", "path": "id", "value": "x"}])),
            Some(ScimType::Mutability)
        );
        assert_eq!(refused(json!([{"op": "remove"}])), Some(ScimType::NoTarget));
        assert_eq!(
            refused(json!([{"op": "move", "path": "userName"}])),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            refused(json!([{"op": "add", "path": "emails[type eq", "value": "x"}])),
            Some(ScimType::InvalidPath)
        );
    }
}
