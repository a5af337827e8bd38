//! The shape of the document each source reads back: which source wants which header maps, status text and
//! cookies. Named here, below both modes, because sources pick it, the buffered encoder writes it and `dev`
//! reads it back.

/// The response document formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Function URL and HTTP API.
    PayloadV2,
    /// API Gateway REST API.
    RestApi,
    /// ALB, in the header form of the target group.
    Alb {
        multi_value: bool,
    },
    VpcLattice,
    WebSocket,
}
