//! What an error answer's status implies on the wire, the same on every face: when to try
//! again, whether the connection can be reused.

use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// What a 503 tells a client to wait before trying again, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Start an error answer for `status`: a 503 carries `Retry-After`, and a 408 closes the
/// connection (the rest of a body that did not arrive may still be on its way).
pub fn error_builder(status: StatusCode) -> HttpResponseBuilder {
    error_builder_after(status, None)
}

/// [`error_builder`], telling the client to wait `retry_after` seconds (a 429's wait, from
/// [`crate::Failure::retry_after`]); a 503 without one waits [`RETRY_AFTER_SECS`].
pub fn error_builder_after(status: StatusCode, retry_after: Option<u64>) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    match retry_after {
        Some(secs) => {
            builder.insert_header((RETRY_AFTER, secs));
        }
        None if status == StatusCode::SERVICE_UNAVAILABLE => {
            builder.insert_header((RETRY_AFTER, RETRY_AFTER_SECS));
        }
        None => {}
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        builder.force_close();
    }
    builder
}
