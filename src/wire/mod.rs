//! The wire model both invoke modes share, owned by neither: the document shape each source reads
//! ([`Format`]) and the response head as a client gets it back ([`Head`], [`DecodeError`] and the helpers
//! that read header maps and cookie lists). `buffered` encodes and decodes whole documents over it, `stream`
//! the streaming prelude; sources name their format here, not in either mode.

mod error;
mod format;
mod head;
pub(crate) mod json;

pub use error::DecodeError;
pub use format::{Format, HeaderForm};
pub(crate) use head::Head;
pub(crate) use head::{add_cookies, add_multi, add_single, status};
