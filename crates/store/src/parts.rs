//! The parts a multi-part delivery (a thread, or a post and its first comment) has made
//! public, written by the delivery worker as each one is confirmed, before the next is sent.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{DeliveryId, ProfileId, Provider};

use crate::{
    Conn, StoreResult,
    schema::{deliveries, delivery_parts},
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_parts)]
pub struct PartRow {
    pub delivery_id: DeliveryId,
    /// 0 is the post itself.
    pub part: i16,
    /// post | reply | comment
    pub kind: String,
    pub provider: Provider,
    pub provider_post_id: String,
    pub url: String,
    pub attempt: i32,
    pub recovered: bool,
    pub published_at: DateTime<Utc>,
}

/// A delivery's recorded parts, in order.
pub async fn of(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<Vec<PartRow>> {
    Ok(delivery_parts::table
        .filter(delivery_parts::delivery_id.eq(delivery_id))
        .order(delivery_parts::part.asc())
        .select(PartRow::as_select())
        .load(conn)
        .await?)
}

/// The recorded parts of many deliveries (for views), in delivery then part order.
pub async fn of_many(conn: &mut Conn, ids: &[DeliveryId]) -> StoreResult<Vec<PartRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(delivery_parts::table
        .filter(delivery_parts::delivery_id.eq_any(ids))
        .order((delivery_parts::delivery_id.asc(), delivery_parts::part.asc()))
        .select(PartRow::as_select())
        .load(conn)
        .await?)
}

/// Records one part. A second record of the same part, or of a platform post another
/// delivery holds, is refused by the keys (`delivery_parts_pkey`, `delivery_parts_one_owner`).
pub async fn record(conn: &mut Conn, row: &PartRow) -> StoreResult<()> {
    diesel::insert_into(delivery_parts::table).values(row).execute(conn).await?;
    Ok(())
}

/// Platform ids of parts other deliveries of this profile made since `since`: a look-up
/// must never take one of them for its own.
pub async fn taken_by_others(
    conn: &mut Conn,
    profile_id: ProfileId,
    except: DeliveryId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    Ok(delivery_parts::table
        .inner_join(deliveries::table)
        .filter(deliveries::profile_id.eq(profile_id))
        .filter(delivery_parts::delivery_id.ne(except))
        .filter(delivery_parts::published_at.ge(since))
        .select(delivery_parts::provider_post_id)
        .load(conn)
        .await?)
}
