//! A workspace's X engagement topics (the seed's reply suggestions), in order.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::WorkspaceId;
use serde::{Deserialize, Serialize};

use crate::{Conn, StoreError, StoreResult, schema::reply_topics};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable)]
#[diesel(table_name = reply_topics)]
pub struct ReplyTopic {
    pub topic: String,
    pub search_query: String,
    pub draft_reply: String,
    pub context: String,
}

pub async fn list(conn: &mut Conn, ws: WorkspaceId) -> StoreResult<Vec<ReplyTopic>> {
    Ok(reply_topics::table
        .filter(reply_topics::workspace_id.eq(ws))
        .order(reply_topics::position.asc())
        .select(ReplyTopic::as_select())
        .load(conn)
        .await?)
}

/// The workspace's topics become `topics`, in one transaction.
pub async fn replace(conn: &mut Conn, ws: WorkspaceId, topics: &[ReplyTopic]) -> StoreResult<()> {
    conn.transaction::<(), StoreError, _>(async |conn| {
        diesel::delete(reply_topics::table.filter(reply_topics::workspace_id.eq(ws))).execute(conn).await?;
        let rows: Vec<_> = topics
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    reply_topics::workspace_id.eq(ws),
                    reply_topics::position.eq(i as i32),
                    reply_topics::topic.eq(&t.topic),
                    reply_topics::search_query.eq(&t.search_query),
                    reply_topics::draft_reply.eq(&t.draft_reply),
                    reply_topics::context.eq(&t.context),
                )
            })
            .collect();
        if !rows.is_empty() {
            diesel::insert_into(reply_topics::table).values(rows).execute(conn).await?;
        }
        Ok(())
    })
    .await
}
