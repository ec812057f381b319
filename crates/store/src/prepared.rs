//! Raw SQL that PostgreSQL parses and plans once per connection, then only binds and runs.
//!
//! diesel keeps a prepared statement per connection for its own query builder's SELECTs,
//! but treats raw SQL (`sql_query`), every UPDATE, every multi-row INSERT and every INSERT
//! with a field left to its default as unsafe to cache: each call sends the text again and
//! PostgreSQL parses, analyses and plans it again. Under S1a (perf, 2026-12-06) that was
//! over a quarter of PostgreSQL's CPU. The statements on the hot paths (a post accepted,
//! scheduled, dispatched; a delivery claimed, leased, settled; the relay's batch) have a
//! fixed text, which is the cache key here: the first call on a connection prepares it.
//!
//! Only fixed texts belong here: every distinct text is one more statement kept on every
//! connection. A `$n` is read as a placeholder wherever it stands, so none may appear in a
//! string literal of the text.

use std::borrow::Cow;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};

/// Raw SQL with `$n` placeholders and its binds, `$1` first. Load rows with
/// `#[derive(QueryableByName)]`, as with `sql_query`. A placeholder used twice is bound
/// twice (diesel numbers the parameters itself, in the order they appear).
#[must_use = "a statement runs only when executed or loaded"]
pub struct Prepared<'a> {
    sql: Cow<'static, str>,
    /// The text between placeholders and, after each piece, the placeholder's bind.
    pieces: Vec<(usize, usize, Option<usize>)>,
    binds: Vec<Box<dyn Bind + Send + 'a>>,
}

pub fn prepared<'a>(sql: impl Into<Cow<'static, str>>) -> Prepared<'a> {
    let sql = sql.into();
    let pieces = split(&sql);
    Prepared { sql, pieces, binds: Vec::new() }
}

/// `(start, end, placeholder)` pieces of `sql`: the text up to each `$n` (the bind
/// `n - 1`) and the text after the last.
fn split(sql: &str) -> Vec<(usize, usize, Option<usize>)> {
    let bytes = sql.as_bytes();
    let mut pieces = Vec::new();
    let (mut from, mut i) = (0, 0);
    while i < bytes.len() {
        let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if bytes[i] == b'$' && digits > 0 {
            let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
            pieces.push((from, i, n.checked_sub(1)));
            i += 1 + digits;
            from = i;
        } else {
            i += 1;
        }
    }
    pieces.push((from, sql.len(), None));
    pieces
}

/// One bound value with its SQL type.
trait Bind {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()>;
}

struct Typed<ST, V> {
    value: V,
    _type: std::marker::PhantomData<fn() -> ST>,
}

impl<ST, V> Bind for Typed<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

impl<'a> Prepared<'a> {
    /// The value of the next placeholder.
    pub fn bind<ST, V>(mut self, value: V) -> Prepared<'a>
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
        ST: 'a,
    {
        self.binds.push(Box::new(Typed::<ST, V> { value, _type: std::marker::PhantomData }));
        self
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        for &(from, to, bind) in &self.pieces {
            out.push_sql(&self.sql[from..to]);
            if let Some(n) = bind {
                let b = self.binds.get(n).ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(format!("no value bound for ${}", n + 1).into())
                })?;
                b.push(&mut out)?;
            }
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    // Keyed by its text and bind types, not by a Rust type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn pieces_follow_the_placeholders() {
        let sql = "UPDATE t SET a = $2 WHERE id = $1 AND b = $1::text";
        let p = split(sql);
        let text: Vec<(&str, Option<usize>)> = p.iter().map(|&(f, t, n)| (&sql[f..t], n)).collect();
        assert_eq!(
            text,
            vec![("UPDATE t SET a = ", Some(1)), (" WHERE id = ", Some(0)), (" AND b = ", Some(0)), ("::text", None)]
        );
        assert_eq!(split("SELECT 1"), vec![(0, 8, None)]);
    }
}
