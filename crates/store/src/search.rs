//! A [`Condition`] (a SCIM filter, canonically) as SQL over the derived columns, so a filtered
//! page is found by the database, never by reading a tenant into memory.
//!
//! Every comparison is wrapped in `IS TRUE` (or `IS NOT FALSE` for `ne`), so a missing value
//! (NULL) never makes a comparison unknown: `not (externalId eq "x")` holds for an agent
//! without one, as [`Condition::matches`] says, on both databases. Texts are compared in the
//! form `comparable` gives them, the form the `*_norm` columns hold.

use agentgw_model::{Attr, Condition, Op, Operand, comparable};

use crate::record::{norm, ts};

/// A bound value of a list filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// Where placeholders go: `#` is replaced by the next `$n`.
pub(crate) struct Sql<'a> {
    pub sqlite: bool,
    /// The arguments bound so far (`$1` is the tenant, so the first here is `$2`).
    pub args: &'a mut Vec<Arg>,
}

impl Sql<'_> {
    /// `cond` with each `#` replaced by the placeholder of `arg` (pushed once).
    fn bind(&mut self, cond: &str, arg: Arg) -> String {
        self.args.push(arg);
        cond.replace('#', &format!("${}", self.args.len() + 1))
    }
}

/// The column (or expression) an attribute is read from.
fn column(attr: Attr) -> &'static str {
    match attr {
        Attr::Username => "username_norm",
        Attr::Email => "email_norm",
        Attr::DisplayName => "display_name_norm",
        Attr::FirstName => "first_name_norm",
        Attr::LastName => "last_name_norm",
        Attr::FullName => "TRIM(first_name_norm || ' ' || last_name_norm)",
        Attr::ExternalId => "external_id",
        Attr::Active => "active",
        Attr::Updated => "updated_at",
        Attr::Created => "created_at",
        Attr::Guid => "guid",
    }
}

/// `condition` as a SQL boolean expression.
pub(crate) fn condition(sql: &mut Sql<'_>, condition: &Condition) -> String {
    match condition {
        Condition::All(all) if all.is_empty() => "(1 = 1)".into(),
        Condition::Any(any) if any.is_empty() => "(1 = 0)".into(),
        Condition::All(all) => joined(sql, all, " AND "),
        Condition::Any(any) => joined(sql, any, " OR "),
        Condition::Not(inner) => format!("(NOT {})", condition_of(sql, inner)),
        Condition::Present(attr) => match attr {
            Attr::Active | Attr::Updated | Attr::Created => "(1 = 1)".into(),
            _ => format!("(({c}) IS NOT NULL AND ({c}) <> '')", c = column(*attr)),
        },
        Condition::Compare(attr, op, operand) => compare(sql, *attr, *op, operand),
    }
}

fn condition_of(sql: &mut Sql<'_>, c: &Condition) -> String {
    condition(sql, c)
}

fn joined(sql: &mut Sql<'_>, items: &[Condition], with: &str) -> String {
    let parts: Vec<String> = items.iter().map(|c| condition(sql, c)).collect();
    format!("({})", parts.join(with))
}

fn compare(sql: &mut Sql<'_>, attr: Attr, op: Op, operand: &Operand) -> String {
    let col = column(attr);
    let arg = match operand {
        Operand::Text(t) => match attr {
            Attr::Guid => Arg::Text(norm(t)),
            _ => Arg::Text(comparable(attr, op, t)),
        },
        Operand::Bool(b) => Arg::Int(i64::from(*b)),
        Operand::Time(t) => Arg::Text(ts(*t)),
    };
    // Only texts contain, start or end: anything else so compared is false, as in `matches`.
    let text = matches!(arg, Arg::Text(_)) && !matches!(attr, Attr::Updated | Attr::Created);
    if matches!(op, Op::Co | Op::Sw | Op::Ew) && !text {
        return "(1 = 0)".into();
    }
    if let (Op::Co | Op::Sw | Op::Ew, Arg::Text(t)) = (op, &arg)
        && t.is_empty()
    {
        // Every value contains, starts and ends with nothing.
        return format!("(({col}) IS NOT NULL)");
    }
    let expr = match op {
        Op::Eq => format!("(({col}) = #) IS TRUE"),
        Op::Ne => format!("(({col}) <> #) IS NOT FALSE"),
        Op::Gt => format!("(({col}) > #) IS TRUE"),
        Op::Ge => format!("(({col}) >= #) IS TRUE"),
        Op::Lt => format!("(({col}) < #) IS TRUE"),
        Op::Le => format!("(({col}) <= #) IS TRUE"),
        Op::Co if sql.sqlite => format!("(instr(({col}), #) > 0) IS TRUE"),
        Op::Co => format!("(strpos(({col}), #) > 0) IS TRUE"),
        Op::Sw => format!("(substr(({col}), 1, length(#)) = #) IS TRUE"),
        Op::Ew if sql.sqlite => format!("(substr(({col}), -length(#)) = #) IS TRUE"),
        Op::Ew => format!("(right(({col}), length(#)) = #) IS TRUE"),
    };
    format!("({})", sql.bind(&expr, arg))
}

/// "In the team named `team`", on the `teams_norm` column.
pub(crate) fn in_team(sql: &mut Sql<'_>, team: &str) -> String {
    let needle = format!("\n{}\n", norm(team).replace('\n', " "));
    let expr = if sql.sqlite {
        "(instr(teams_norm, #) > 0)"
    } else {
        "(strpos(teams_norm, #) > 0)"
    };
    sql.bind(expr, Arg::Text(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_is_bound_once_and_placeholders_count_from_two() {
        let mut args = Vec::new();
        let mut sql = Sql {
            sqlite: true,
            args: &mut args,
        };
        let c = Condition::Any(vec![
            Condition::Compare(Attr::Username, Op::Sw, Operand::Text("Bj".into())),
            Condition::Not(Box::new(Condition::Compare(
                Attr::Active,
                Op::Eq,
                Operand::Bool(true),
            ))),
        ]);
        let text = condition(&mut sql, &c);
        assert_eq!(
            text,
            "(((substr((username_norm), 1, length($2)) = $2) IS TRUE) OR (NOT (((active) = $3) IS TRUE)))"
        );
        assert_eq!(args, vec![Arg::Text("bj".into()), Arg::Int(1)]);
    }
}
