//! HTTP plumbing every part shares: the connection pools and a general client, body helpers, hop-by-hop headers, percent-encoding,
//! route-path equivalence, and the accept loop of the servers the adapter and `dev` run.

pub(crate) mod app_client;
pub mod body;
pub mod client;
pub(crate) mod header_text;
pub mod headers;
pub(crate) mod pool;
pub mod route_path;
pub(crate) mod serve;
pub mod uri;
