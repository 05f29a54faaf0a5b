//! A boolean condition over an agent's searchable attributes: what a SCIM filter
//! (`userName eq "a" and (active eq true or not (externalId pr))`) becomes once its
//! attributes are named canonically. Stores compile it to SQL; the gateway evaluates it on
//! agents an upstream returned ([`Condition::matches`]), by the same rules.

use chrono::{DateTime, Utc};

use crate::{Agent, email_key, username_key};

/// An attribute a condition may test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    /// Case-insensitive.
    Username,
    /// Case-insensitive (compared by its normalised key for `eq`/`ne`).
    Email,
    /// Case-insensitive.
    DisplayName,
    /// Case-insensitive.
    FirstName,
    /// Case-insensitive.
    LastName,
    /// First and last name joined with a space, case-insensitive.
    FullName,
    /// Case-exact: an identity provider's own id for the agent.
    ExternalId,
    /// A boolean.
    Active,
    /// A time.
    Updated,
    /// A time.
    Created,
    /// The agent's GUID, case-insensitive.
    Guid,
}

impl Attr {
    /// Whether its text compares case-exactly.
    pub fn case_exact(self) -> bool {
        matches!(self, Attr::ExternalId)
    }
}

/// How an attribute is compared (RFC 7644 §3.4.2.2's operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A value compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// A condition on an agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every one holds (true when empty).
    All(Vec<Condition>),
    /// At least one holds (false when empty).
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// The attribute has a value (a non-empty text; booleans and times always do).
    Present(Attr),
    Compare(Attr, Op, Operand),
}

/// An attribute's value on an agent.
enum Value {
    Text(Option<String>),
    Bool(bool),
    Time(DateTime<Utc>),
}

fn value(agent: &Agent, attr: Attr) -> Value {
    let p = &agent.profile;
    let text = |s: &str| Value::Text((!s.is_empty()).then(|| s.to_owned()));
    match attr {
        Attr::Username => Value::Text(p.username.clone().filter(|u| !u.is_empty())),
        Attr::Email => text(&p.email),
        Attr::DisplayName => text(&p.display_name),
        Attr::FirstName => text(&p.first_name),
        Attr::LastName => text(&p.last_name),
        Attr::FullName => text(&crate::join_name(&p.first_name, &p.last_name)),
        Attr::ExternalId => Value::Text(p.external_id.clone().filter(|e| !e.is_empty())),
        Attr::Active => Value::Bool(p.state.active),
        Attr::Updated => Value::Time(agent.updated_at),
        Attr::Created => Value::Time(agent.created_at),
        Attr::Guid => Value::Text(Some(agent.ids.guid.to_string())),
    }
}

/// The form of a text both sides are compared in.
pub fn comparable(attr: Attr, op: Op, text: &str) -> String {
    match (attr, op) {
        (_, _) if attr.case_exact() => text.to_owned(),
        (Attr::Email, Op::Eq | Op::Ne) => email_key(text),
        (Attr::Username, Op::Eq | Op::Ne) => username_key(text),
        _ => text.trim().to_lowercase(),
    }
}

fn compare_text(attr: Attr, op: Op, have: &str, want: &str) -> bool {
    let (have, want) = (comparable(attr, op, have), comparable(attr, op, want));
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Co => have.contains(&want),
        Op::Sw => have.starts_with(&want),
        Op::Ew => have.ends_with(&want),
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
    }
}

fn ordered<T: PartialOrd>(op: Op, have: &T, want: &T) -> bool {
    match op {
        Op::Eq => have == want,
        Op::Ne => have != want,
        Op::Gt => have > want,
        Op::Ge => have >= want,
        Op::Lt => have < want,
        Op::Le => have <= want,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

impl Condition {
    /// Whether `agent` meets it (the rules the stores apply in SQL).
    pub fn matches(&self, agent: &Agent) -> bool {
        match self {
            Condition::All(all) => all.iter().all(|c| c.matches(agent)),
            Condition::Any(any) => any.iter().any(|c| c.matches(agent)),
            Condition::Not(inner) => !inner.matches(agent),
            Condition::Present(attr) => match value(agent, *attr) {
                Value::Text(t) => t.is_some(),
                Value::Bool(_) | Value::Time(_) => true,
            },
            Condition::Compare(attr, op, operand) => match (value(agent, *attr), operand) {
                (Value::Text(Some(have)), Operand::Text(want)) => {
                    compare_text(*attr, *op, &have, want)
                }
                // No value: only `ne` holds (RFC 7644: a missing attribute is not equal).
                (Value::Text(None), _) => *op == Op::Ne,
                (Value::Bool(have), Operand::Bool(want)) => ordered(*op, &have, want),
                (Value::Time(have), Operand::Time(want)) => ordered(*op, &have, want),
                _ => false,
            },
        }
    }

    /// Whether a text of it holds a control character, which no stored value holds: such a
    /// condition is never sent to a database (PostgreSQL refuses a NUL outright).
    pub fn has_control(&self) -> bool {
        match self {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::has_control),
            Condition::Not(inner) => inner.has_control(),
            Condition::Present(_) => false,
            Condition::Compare(_, _, Operand::Text(t)) => t.chars().any(char::is_control),
            Condition::Compare(..) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentIds, Profile};

    fn agent(username: &str, external: Option<&str>, active: bool) -> Agent {
        let mut profile = Profile {
            email: format!("{username}@Example.com"),
            first_name: "Barbara".into(),
            last_name: "Jensen".into(),
            display_name: "Babs Jensen".into(),
            username: Some(username.into()),
            external_id: external.map(str::to_owned),
            ..Profile::default()
        };
        profile.state.active = active;
        Agent {
            ids: AgentIds {
                int: 1,
                guid: uuid::Uuid::nil(),
                short: "x".repeat(17),
            },
            profile,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn text(attr: Attr, op: Op, v: &str) -> Condition {
        Condition::Compare(attr, op, Operand::Text(v.into()))
    }

    #[test]
    fn text_compares_case_insensitively_but_external_ids_exactly() {
        let a = agent("BJensen", Some("Ext-1"), true);
        assert!(text(Attr::Username, Op::Eq, "bjensen").matches(&a));
        assert!(text(Attr::Email, Op::Eq, "BJENSEN@example.COM").matches(&a));
        assert!(text(Attr::DisplayName, Op::Sw, "babs").matches(&a));
        assert!(text(Attr::FullName, Op::Eq, "barbara jensen").matches(&a));
        assert!(text(Attr::ExternalId, Op::Eq, "Ext-1").matches(&a));
        assert!(!text(Attr::ExternalId, Op::Eq, "ext-1").matches(&a));
        assert!(text(Attr::ExternalId, Op::Co, "t-").matches(&a));
    }

    #[test]
    fn logic_presence_and_missing_values() {
        let with = agent("a", Some("e"), false);
        let without = agent("b", None, true);
        let c = Condition::Any(vec![
            Condition::Compare(Attr::Active, Op::Eq, Operand::Bool(true)),
            Condition::Not(Box::new(Condition::Present(Attr::ExternalId))),
        ]);
        assert!(!c.matches(&with));
        assert!(c.matches(&without));
        assert!(text(Attr::ExternalId, Op::Ne, "x").matches(&without));
        assert!(!text(Attr::ExternalId, Op::Eq, "x").matches(&without));
        assert!(Condition::All(vec![]).matches(&with));
        assert!(!Condition::Any(vec![]).matches(&with));
    }
}
