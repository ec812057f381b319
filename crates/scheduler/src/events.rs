//! Events the scheduler acts on: `post.accepted` schedules, `delivery.settled` may
//! complete (both in `transitions`), `rewrite.requested` runs a rewrite job (`rewrite`).

use bus::{Handled, Incoming};
use domain::messages::{DeliverySettledV1, Message, PostAcceptedV1, RewriteRequestedV1};

use crate::{app::Ctx, transitions};

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let result = match m.message_type() {
        PostAcceptedV1::TYPE => match m.decode::<PostAcceptedV1>() {
            Ok(e) => transitions::schedule(ctx, e.post_id).await,
            Err(e) => return Handled::Poison(e.to_string()),
        },
        DeliverySettledV1::TYPE => match m.decode::<DeliverySettledV1>() {
            Ok(e) => transitions::complete(ctx, e.post_id).await,
            Err(e) => return Handled::Poison(e.to_string()),
        },
        RewriteRequestedV1::TYPE => return crate::rewrite::handle(ctx, &m).await,
        other => return Handled::Poison(format!("unexpected message type `{other}`")),
    };
    match result {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}
