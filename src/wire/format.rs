//! The shape of the document each source reads back: which header maps it carries, whether it has a status
//! text, how it treats an empty body. Named here, below both modes, because each source declares its own,
//! the buffered encoder writes it and `dev` reads it back; a new source with a new shape adds a
//! [`HeaderForm`] (or a flag) here and one arm each in the encoder and decoder.

/// A response document's shape, as a source declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// The header maps it carries.
    pub headers: HeaderForm,
    /// A `statusDescription` (`"200 OK"`) beside `statusCode` (ALB, VPC Lattice).
    pub status_description: bool,
    /// No `body` and no `isBase64Encoded` when the body is empty (WebSocket: no body, no frame).
    pub omit_empty_body: bool,
    /// Valid JSON without `statusCode` is the body of a 200 with `content-type: application/json`
    /// (payload 2.0's "inferred" format).
    pub bare_json: bool,
}

/// Where a document carries the response's headers and cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderForm {
    /// `headers` with repeated values joined by `,`, and each `Set-Cookie` apart in `cookies` (payload 2.0).
    JoinedWithCookies,
    /// `headers` only, repeated values joined by `,`; room for one `Set-Cookie`, the last (ALB single-value,
    /// VPC Lattice).
    Joined,
    /// `multiValueHeaders` only, every value apart (ALB multi-value).
    Multi,
    /// `headers` for the headers with one value and `multiValueHeaders` for all (REST API, payload 1.0).
    SingleAndMulti,
    /// `Sec-WebSocket-Protocol` only, in `headers`: the one header API Gateway passes back (WebSocket).
    Subprotocol,
}

impl Format {
    /// A format with headers in `headers` form and nothing else special.
    pub const fn plain(headers: HeaderForm) -> Format {
        Format {
            headers,
            status_description: false,
            omit_empty_body: false,
            bare_json: false,
        }
    }
}
