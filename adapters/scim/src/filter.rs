//! SCIM filters (RFC 7644 §3.4.2.2) as canonical conditions. The grammar is `scim_v2`'s (a
//! maintained LALRPOP parser with depth and size limits); this module only names the
//! attributes: a filter on an attribute agentgw does not search is an `invalidFilter`, never
//! a scan.

use agentgw_model::{Attr, Condition, Op, Operand};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use crate::error::{ScimError, ScimType};
use crate::wire;

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 8 * 1024;
/// How deep parentheses and brackets may nest (the grammar's own AST limit is 64).
const MAX_NESTING: usize = 32;

/// Parse `text` and name its attributes canonically.
pub fn parse(text: &str) -> Result<Condition, ScimError> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(invalid(format!(
            "a filter is at most {MAX_FILTER_BYTES} bytes"
        )));
    }
    // Refused before the parser sees it: a parse tree a million levels deep would take the
    // thread's stack down when it is checked or dropped.
    if nesting(text) > MAX_NESTING {
        return Err(invalid(format!(
            "a filter nests at most {MAX_NESTING} levels"
        )));
    }
    let filter: Filter = sub_attribute_form(text)
        .parse()
        .map_err(|e| invalid(format!("the filter does not parse: {e}")))?;
    condition(&filter)
}

/// How deep brackets nest in `text` (outside quoted strings).
fn nesting(text: &str) -> usize {
    let (mut depth, mut most, mut quoted, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' | '[' if !quoted => {
                depth += 1;
                most = most.max(depth);
            }
            ')' | ']' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// `emails[type eq "work"].value eq "a"` — a value path followed by a sub-attribute, as
/// Entra ID filters — in the grammar's form, `emails[type eq "work" and value eq "a"]`.
fn sub_attribute_form(text: &str) -> String {
    let mut out = text.to_owned();
    // Each rewrite removes one `].`; a bounded number of passes.
    for _ in 0..16 {
        let Some(rewritten) = rewrite_one(&out) else {
            break;
        };
        out = rewritten;
    }
    out
}

fn rewrite_one(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b']' if !quoted && bytes.get(i + 1) == Some(&b'.') => {
                // The comparison after `].`: sub-attribute, operator, value (to the next space
                // outside quotes, or a quoted string).
                let rest = &text[i + 2..];
                let sub_end =
                    rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
                let (sub, after) = rest.split_at(sub_end);
                let after = after.trim_start();
                let (op, after) = after.split_once(' ').unwrap_or((after, ""));
                let op_lower = op.to_ascii_lowercase();
                let value_len = if op_lower == "pr" {
                    0
                } else if after.starts_with('"') {
                    let mut esc = false;
                    let mut end = None;
                    for (j, c) in after.char_indices().skip(1) {
                        match c {
                            _ if esc => esc = false,
                            '\\' => esc = true,
                            '"' => {
                                end = Some(j + 1);
                                break;
                            }
                            _ => {}
                        }
                    }
                    end?
                } else {
                    after.find([' ', ')']).unwrap_or(after.len())
                };
                let value = &after[..value_len];
                let tail = &after[value_len..];
                let test = if value_len == 0 {
                    format!("{sub} {op}")
                } else {
                    format!("{sub} {op} {value}")
                };
                return Some(format!("{} and {test}]{tail}", &text[..i]));
            }
            _ => {}
        }
    }
    None
}

fn condition(f: &Filter) -> Result<Condition, ScimError> {
    Ok(match f {
        Filter::Attr(exp) => attr_exp(exp, None)?,
        Filter::ValuePath(vp) => value_path(&vp.attr, &vp.filter)?,
        Filter::Not(inner) => Condition::Not(Box::new(condition(inner)?)),
        Filter::And(items) => {
            Condition::All(items.iter().map(condition).collect::<Result<_, _>>()?)
        }
        Filter::Or(items) => Condition::Any(items.iter().map(condition).collect::<Result<_, _>>()?),
    })
}

/// A test of `userName`: an agent made through a face without usernames shows its email as
/// its userName, and is found by it.
fn user_name(op: Op, operand: Operand) -> Condition {
    Condition::Any(vec![
        Condition::All(vec![
            Condition::Present(Attr::Username),
            Condition::Compare(Attr::Username, op, operand.clone()),
        ]),
        Condition::All(vec![
            Condition::Not(Box::new(Condition::Present(Attr::Username))),
            Condition::Compare(Attr::Email, op, operand),
        ]),
    ])
}

/// `emails[type eq "work" and value co "@x"]`: the agent's one email is its work email and
/// its primary, so `type` and `primary` tests are about it, and `value` is the email.
fn value_path(attr: &AttrPath, filter: &ValFilter) -> Result<Condition, ScimError> {
    Ok(match filter {
        ValFilter::Attr(exp) => attr_exp(exp, Some(attr))?,
        ValFilter::Not(inner) => Condition::Not(Box::new(value_path(attr, inner)?)),
        ValFilter::And(items) => Condition::All(
            items
                .iter()
                .map(|f| value_path(attr, f))
                .collect::<Result<_, _>>()?,
        ),
        ValFilter::Or(items) => Condition::Any(
            items
                .iter()
                .map(|f| value_path(attr, f))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// Whether `uri` is absent or the core User schema.
fn core_or_none(uri: Option<&str>) -> bool {
    uri.is_none_or(|u| u.eq_ignore_ascii_case(wire::USER))
}

/// The canonical attribute a SCIM attribute path names (`parent` for a value path's inner
/// attribute), or `Err` naming what cannot be searched.
enum Target {
    Attr(Attr),
    /// Always true of the one email: its `type` is work, and it is primary.
    EmailType,
    EmailPrimary,
}

fn target(path: &AttrPath, parent: Option<&AttrPath>) -> Result<Target, ScimError> {
    let lower = |s: &str| s.to_ascii_lowercase();
    let (name, sub) = match parent {
        Some(p) => (lower(&p.name), Some(lower(&path.name))),
        None => (lower(&path.name), path.sub_attr.as_deref().map(lower)),
    };
    let uri = parent.map_or(path.uri.as_deref(), |p| p.uri.as_deref());
    if !core_or_none(uri) {
        return Err(invalid(format!("filtering on `{path}` is not supported")));
    }
    let found = match (name.as_str(), sub.as_deref()) {
        ("username", None) => Target::Attr(Attr::Username),
        ("externalid", None) => Target::Attr(Attr::ExternalId),
        ("displayname", None) => Target::Attr(Attr::DisplayName),
        ("id", None) => Target::Attr(Attr::Guid),
        ("active", None) => Target::Attr(Attr::Active),
        ("emails", None | Some("value")) => Target::Attr(Attr::Email),
        ("emails", Some("type")) => Target::EmailType,
        ("emails", Some("primary")) => Target::EmailPrimary,
        ("name", Some("givenname")) => Target::Attr(Attr::FirstName),
        ("name", Some("familyname")) => Target::Attr(Attr::LastName),
        ("name", Some("formatted")) => Target::Attr(Attr::FullName),
        ("meta", Some("lastmodified")) => Target::Attr(Attr::Updated),
        ("meta", Some("created")) => Target::Attr(Attr::Created),
        _ => return Err(invalid(format!("filtering on `{path}` is not supported"))),
    };
    Ok(found)
}

fn op(o: &CompareOp) -> Op {
    match o {
        CompareOp::Eq => Op::Eq,
        CompareOp::Ne => Op::Ne,
        CompareOp::Co => Op::Co,
        CompareOp::Sw => Op::Sw,
        CompareOp::Ew => Op::Ew,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Ge,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Le,
    }
}

/// The operand `value` is for `attr`: text for texts, a boolean for `active`, a time for
/// `meta.*`.
fn operand(attr: Attr, value: &CompValue) -> Result<Operand, ScimError> {
    match (attr, value) {
        (Attr::Active, CompValue::True) => Ok(Operand::Bool(true)),
        (Attr::Active, CompValue::False) => Ok(Operand::Bool(false)),
        // Entra ID sends booleans as strings.
        (Attr::Active, CompValue::Str(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(Operand::Bool(true))
        }
        (Attr::Active, CompValue::Str(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(Operand::Bool(false))
        }
        (Attr::Updated | Attr::Created, CompValue::Str(s)) => agentgw_model::parse_time(s)
            .map(Operand::Time)
            .ok_or_else(|| invalid("meta dates are compared with RFC 3339 date-times")),
        (Attr::Active | Attr::Updated | Attr::Created, _) => {
            Err(invalid("the value has the wrong type for the attribute"))
        }
        (_, CompValue::Str(s)) => Ok(Operand::Text(s.clone())),
        (_, CompValue::Number(n)) => Ok(Operand::Text(n.to_string())),
        (_, CompValue::True | CompValue::False | CompValue::Null) => {
            Err(invalid("the value has the wrong type for the attribute"))
        }
    }
}

fn attr_exp(exp: &AttrExp, parent: Option<&AttrPath>) -> Result<Condition, ScimError> {
    match exp {
        AttrExp::Present(path) => Ok(match target(path, parent)? {
            Target::Attr(Attr::Username) => Condition::Present(Attr::Email),
            Target::Attr(a) => Condition::Present(a),
            Target::EmailType | Target::EmailPrimary => Condition::Present(Attr::Email),
        }),
        AttrExp::Comparison(path, o, value) => match target(path, parent)? {
            Target::Attr(Attr::Username) => Ok(user_name(op(o), operand(Attr::Username, value)?)),
            Target::Attr(a) => Ok(Condition::Compare(a, op(o), operand(a, value)?)),
            // The agent's email is its work email and its primary one: a test of either
            // holds exactly when it would of that email.
            Target::EmailType => {
                let holds = match (o, value) {
                    (CompareOp::Eq, CompValue::Str(s)) => s.eq_ignore_ascii_case("work"),
                    (CompareOp::Ne, CompValue::Str(s)) => !s.eq_ignore_ascii_case("work"),
                    _ => false,
                };
                Ok(truth(holds))
            }
            Target::EmailPrimary => {
                let primary = match value {
                    CompValue::True => true,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("true") => true,
                    _ => false,
                };
                let holds = match o {
                    CompareOp::Eq => primary,
                    CompareOp::Ne => !primary,
                    _ => false,
                };
                Ok(truth(holds))
            }
        },
    }
}

/// A condition that always (or never) holds.
fn truth(holds: bool) -> Condition {
    if holds {
        Condition::All(Vec::new())
    } else {
        Condition::Any(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_identity_providers_send_is_understood() {
        assert_eq!(
            parse(r#"userName eq "Alice@Example.com""#).ok(),
            Some(user_name(Op::Eq, Operand::Text("Alice@Example.com".into())))
        );
        // Entra ID: externalId, emails[type eq "work"].value, a string boolean.
        assert!(parse(r#"externalId eq "0a1b""#).is_ok());
        assert!(parse(r#"emails[type eq "work"].value eq "a@example.com""#).is_ok());
        assert_eq!(
            parse(r#"active eq "False""#).ok(),
            Some(Condition::Compare(
                Attr::Active,
                Op::Eq,
                Operand::Bool(false)
            ))
        );
        assert!(
            parse(r#"name.familyName sw "J" and (active eq true or not (externalId pr))"#).is_ok()
        );
        assert!(parse(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#).is_ok());
        assert!(parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#).is_ok());
    }

    #[test]
    fn an_agent_without_a_username_is_found_by_its_email_as_its_user_name() {
        let mut agent = agentgw_model::Agent {
            ids: agentgw_model::AgentIds {
                int: 1,
                guid: uuid::Uuid::nil(),
                short: String::new(),
            },
            profile: agentgw_model::Profile::default(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        agent.profile.email = "ann@example.com".into();
        let holds = |agent: &agentgw_model::Agent, f: &str| {
            parse(f).map(|c| c.matches(agent)).unwrap_or(false)
        };
        assert!(holds(&agent, r#"userName eq "ANN@example.com""#));
        assert!(!holds(&agent, r#"userName ne "ann@example.com""#));
        assert!(holds(&agent, r#"userName pr"#));
        agent.profile.username = Some("annie".into());
        assert!(
            !holds(&agent, r#"userName eq "ann@example.com""#),
            "a username is the userName"
        );
        assert!(holds(&agent, r#"userName eq "Annie""#));
        assert!(holds(&agent, r#"userName ne "ann@example.com""#));
    }

    #[test]
    fn what_cannot_be_searched_is_an_invalid_filter() {
        let bad = [
            "userName eq".to_owned(),
            "nickName eq \"x\"".to_owned(),
            "active eq \"maybe\"".to_owned(),
            "meta.lastModified gt \"yesterday\"".to_owned(),
            format!("{}userName eq \"a\"{}", "not (".repeat(40), ")".repeat(40)),
            format!(
                "{}userName eq \"a\"{}",
                "(".repeat(100_000),
                ")".repeat(100_000)
            ),
        ];
        for bad in &bad {
            let e = parse(bad).err();
            assert_eq!(
                e.as_ref().and_then(|e| e.scim_type),
                Some(ScimType::InvalidFilter),
                "{bad}: {e:?}"
            );
        }
    }
}
