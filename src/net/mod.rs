//! HTTP plumbing every part shares: the pooled client, body helpers, hop-by-hop headers, percent-encoding,
//! and the accept loop of the servers the adapter and `dev` run.

pub mod body;
pub mod client;
pub mod headers;
pub(crate) mod serve;
pub mod uri;
