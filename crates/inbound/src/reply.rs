//! What an error answer's status implies on the wire, the same on every face: when to try
//! again, whether the connection can be reused. A face says its errors' words
//! ([`FaceError`]); [`face_error!`](crate::face_error) makes them its `ResponseError`, so no
//! face answers an error without going through [`respond`].

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

/// What a face says of one of its errors, in its dialect's words.
pub trait FaceError: std::fmt::Debug + std::fmt::Display {
    /// The status.
    fn status(&self) -> StatusCode;

    /// The body.
    fn body(&self) -> serde_json::Value;

    /// How long the client should wait, in seconds (a 429's wait); a 503 without one waits
    /// [`RETRY_AFTER_SECS`].
    fn retry_after(&self) -> Option<u64> {
        None
    }

    /// The body's media type.
    fn media_type(&self) -> &'static str {
        "application/json"
    }

    /// Headers of the face's own on the answer (Comm100's member paths name their `Allow`).
    fn headers(&self, res: &mut HttpResponse) {
        let _ = res;
    }
}

/// The answer to `error`: its status, `Retry-After` where the status implies one, its body.
pub fn respond<E: FaceError + ?Sized>(error: &E) -> HttpResponse {
    let mut res = error_builder_after(error.status(), error.retry_after())
        .content_type(error.media_type())
        .body(error.body().to_string());
    error.headers(&mut res);
    res
}

/// Make a [`FaceError`] the face's `actix_web::ResponseError`, answered by [`respond`].
#[macro_export]
macro_rules! face_error {
    ($error:ty) => {
        impl ::actix_web::ResponseError for $error {
            fn status_code(&self) -> ::actix_web::http::StatusCode {
                $crate::FaceError::status(self)
            }

            fn error_response(&self) -> ::actix_web::HttpResponse {
                $crate::respond(self)
            }
        }
    };
}
