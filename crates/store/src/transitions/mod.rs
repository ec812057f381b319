//! Every status write, one module per status layer, each behind a cargo feature that only
//! the layer's owner enables (DESIGN.md, "Status ownership"):
//!
//! | layer    | module        | feature                | owner           |
//! |----------|---------------|------------------------|-----------------|
//! | post     | `posts`       | `post-transitions`     | scheduler       |
//! | review   | `review`      | `post-transitions`     | scheduler       |
//! | delivery | `deliveries`  | `delivery-transitions` | delivery-worker |
//! | media    | `media`       | `media-transitions`    | media-ingest    |
//!
//! Any other crate that calls one of these does not build on its own. Each write goes
//! through an edge constant made by `domain::status::*::edge`, which does not compile
//! for a change the layer's transition table forbids. Creating a row in its first status
//! (a post accepted as `draft` or `pending`) is acceptance, not a transition.

#[cfg(feature = "delivery-transitions")]
pub mod deliveries;
#[cfg(feature = "media-transitions")]
pub mod media;
#[cfg(feature = "post-transitions")]
pub mod posts;
#[cfg(feature = "post-transitions")]
pub mod review;
