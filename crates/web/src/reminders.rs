//! The reminder job ([`baocao_service::reminders`]), as the binary and the tests call it.

pub use baocao_service::reminders::run_reminders;
