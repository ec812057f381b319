//! `src/schema.rs` against the migrated database: every table, every column in order, its
//! type and whether it may be NULL. A migration without its schema.rs change (or the
//! reverse) fails here instead of at the first query that meets it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::sql_types::{Bool, Text};
use diesel_async::RunQueryDsl;

mod common;

#[derive(diesel::QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

/// The diesel type a PostgreSQL column maps to, as schema.rs spells it.
fn diesel_type(udt: &str, nullable: bool) -> String {
    let base = match udt {
        "uuid" => "Uuid".to_owned(),
        "text" => "Text".to_owned(),
        "timestamptz" => "Timestamptz".to_owned(),
        "int4" => "Int4".to_owned(),
        "int8" => "Int8".to_owned(),
        "bool" => "Bool".to_owned(),
        "jsonb" => "Jsonb".to_owned(),
        "bytea" => "Bytea".to_owned(),
        array if array.starts_with('_') => format!("Array<{}>", diesel_type(&array[1..], false)),
        other => format!("<unmapped {other}>"),
    };
    if nullable { format!("Nullable<{base}>") } else { base }
}

/// (table, [(column, type)]) in the order schema.rs declares them.
fn declared() -> Vec<(String, Vec<(String, String)>)> {
    let text = include_str!("../src/schema.rs");
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut in_table = false;
    for line in text.lines().map(str::trim) {
        if line == "diesel::table! {" {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        if let Some(head) = line.strip_suffix('{') {
            let name = head.split_whitespace().next().unwrap().to_owned();
            out.push((name, Vec::new()));
        } else if let Some((col, ty)) = line.split_once("->") {
            let ty = ty.trim().trim_end_matches(',').to_owned();
            out.last_mut().unwrap().1.push((col.trim().to_owned(), ty));
        } else if line == "}" && out.last().is_some_and(|t| !t.1.is_empty()) {
            in_table = false;
        }
    }
    out
}

#[tokio::test]
async fn schema_rs_matches_the_migrated_database() {
    let db = common::Db::new().await;
    let mut c = db.conn().await;
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, is_nullable = 'YES' AS nullable \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .load(&mut c)
    .await
    .unwrap();
    let mut actual: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for col in &columns {
        if actual.last().is_none_or(|t| t.0 != col.table_name) {
            actual.push((col.table_name.clone(), Vec::new()));
        }
        actual.last_mut().unwrap().1.push((col.column_name.clone(), diesel_type(&col.udt_name, col.nullable)));
    }
    let mut declared = declared();
    declared.sort_by(|a, b| a.0.cmp(&b.0));
    let names = |v: &[(String, Vec<(String, String)>)]| v.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&declared), names(&actual), "tables in schema.rs vs the migrations");
    for ((table, want), (_, got)) in declared.iter().zip(&actual) {
        assert_eq!(want, got, "table {table}: schema.rs (left) vs the migrated database (right)");
    }
}
