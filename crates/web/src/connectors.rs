//! The connector job ([`baocao_service::connectors`]), as the binary and the tests call it.

pub use baocao_service::connectors::{run, run_due, source_of};
