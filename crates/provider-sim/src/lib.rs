//! provider-sim: a local stand-in for the providers' HTTP APIs, serving the request shapes
//! the adapters speak, with fault injection per account. The embedded target of `make run`
//! and the test double of every test; never used by production configuration.

// Handlers return the response to send as their error, to keep early returns short; the
// size of that error does not matter in a test double.
#![allow(clippy::result_large_err)]

mod apis;
mod audience;
mod oauth;
mod sim;

pub use sim::run;
