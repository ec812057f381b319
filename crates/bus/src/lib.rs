//! RabbitMQ for PostMantis: topology, confirmed publishing, consuming with manual acks,
//! request/reply, a connection handle that reconnects, and the outbox relay.

mod client;
mod consume;
mod handle;
mod lifecycle;
pub mod relay;
mod rpc;
pub mod service;
pub mod topology;

pub use client::{Bus, BusError, Incoming};
pub use consume::{Handled, consume_forever};
pub use handle::BusHandle;
pub use lapin;
pub use lifecycle::{Lifecycle, shutdown_signal};
pub use rpc::{RpcClient, reply, reply_then_ack};
pub use topology::{BusConfig, Names, Role};
