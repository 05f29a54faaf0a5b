//! W3C Trace Context (`traceparent`) across the hop: the trace a request arrived with (or a
//! new one) is current while it is served, and every upstream call it makes carries it with a
//! span id of its own, so one trace id joins the client's, the gateway's and the upstream's
//! logs.
//!
//! The header is a fixed 55-character string (`00-<32 hex>-<16 hex>-<2 hex>`), read and
//! written here. When spans are exported (OTLP, `[tracing]` in the binary), a request's span
//! is made the child of the caller's span, and an outgoing call names the exported span as
//! its parent, so the exported trace and the propagated one are the same trace.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// One request's place in a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits, not all zero.
    pub trace_id: String,
    /// The trace flags (`01`: sampled), passed on as they came.
    pub flags: String,
    /// The caller's span, when the request came with a trace.
    pub parent_id: Option<String>,
}

/// Whether spans are exported (`[tracing] otlp_endpoint`).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Say whether spans are exported. Off (the default), requests and upstream calls get no span:
/// nothing would read it, and making one (its fields formatted for the log's span context)
/// cost 5 % of a GET by id. The trace id is carried and logged either way.
pub fn export_spans(on: bool) {
    EXPORTING.store(on, Ordering::Relaxed);
}

/// The span `make` makes when spans are exported, else none (see [`export_spans`]).
pub fn exported_span(make: impl FnOnce() -> tracing::Span) -> tracing::Span {
    if EXPORTING.load(Ordering::Relaxed) {
        make()
    } else {
        tracing::Span::none()
    }
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.bytes().any(|b| b != b'0')
}

fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

impl TraceContext {
    /// The trace of an incoming `traceparent` (a span of our own under it), or a new trace
    /// when the header is absent or malformed (as W3C says: restart, never fail the request).
    pub fn continue_or_start(header: Option<&str>) -> TraceContext {
        let parsed = header.and_then(|h| {
            let mut parts = h.trim().split('-');
            let (version, trace, parent, flags) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            let known_version = version == "00" && parts.next().is_none();
            let future_version = is_hex(version, 2) && version != "ff";
            (known_version || future_version)
                .then_some(())
                .filter(|()| is_hex(trace, 32) && is_hex(parent, 16) && flags.len() == 2)
                .filter(|()| flags.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|()| {
                    (
                        trace.to_owned(),
                        flags.to_ascii_lowercase(),
                        Some(parent.to_owned()),
                    )
                })
        });
        let (trace_id, flags, parent_id) =
            parsed.unwrap_or_else(|| (random_hex(32), "01".to_owned(), None));
        TraceContext {
            trace_id,
            flags,
            parent_id,
        }
    }

    /// A span for serving this request. When spans are exported it is a child of the
    /// caller's span, or the root of a trace whose ids the exporter chose — which this
    /// context then takes, so the log, the export and the calls made agree.
    pub fn request_span(&mut self, method: &str, route: &str) -> tracing::Span {
        let span = exported_span(|| {
            tracing::info_span!(
                "request",
                otel.name = %format!("{method} {route}"),
                otel.kind = "server",
            )
        });
        if span.is_none() {
            return span;
        }
        if let Some(parent) = self.parent_id.as_deref() {
            let parent = SpanContext::new(
                TraceId::from_hex(&self.trace_id).unwrap_or(TraceId::INVALID),
                SpanId::from_hex(parent).unwrap_or(SpanId::INVALID),
                TraceFlags::new(u8::from_str_radix(&self.flags, 16).unwrap_or(1)),
                true,
                TraceState::default(),
            );
            let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(parent));
        }
        let exported = span.context().span().span_context().clone();
        if exported.is_valid() {
            self.trace_id = exported.trace_id().to_string();
        }
        span
    }

    /// The `traceparent` for a call this hop makes: same trace, a new span.
    pub fn child_header(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, random_hex(16), self.flags)
    }

    /// Run `work` with this trace current.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }

    /// The `traceparent` for an outgoing call: the exported span it is made in when spans
    /// are exported, else a child of the current trace, or a new trace outside any request
    /// (`migrate`).
    pub fn outgoing_header() -> String {
        let exported = tracing::Span::current().context();
        let exported = exported.span().span_context().clone();
        if exported.is_valid() {
            return format!(
                "00-{}-{}-{:02x}",
                exported.trace_id(),
                exported.span_id(),
                exported.trace_flags().to_u8()
            );
        }
        CURRENT
            .try_with(TraceContext::child_header)
            .unwrap_or_else(|_| TraceContext::continue_or_start(None).child_header())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIVEN: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_parent_is_continued_and_anything_else_restarts() {
        let t = TraceContext::continue_or_start(Some(GIVEN));
        assert_eq!(
            (t.trace_id.as_str(), t.flags.as_str()),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "01")
        );
        assert!(
            !t.child_header().contains("00f067aa0ba902b7"),
            "a span of its own"
        );
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            let t = TraceContext::continue_or_start(Some(bad));
            assert_ne!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "{bad:?}");
            let child = TraceContext::continue_or_start(Some(&t.child_header()));
            assert!(
                is_hex(&t.trace_id, 32) && child.trace_id == t.trace_id,
                "{t:?}"
            );
        }
    }

    #[tokio::test]
    async fn calls_made_while_serving_carry_the_trace() {
        let t = TraceContext::continue_or_start(Some(GIVEN));
        let header = t
            .clone()
            .scope(async { TraceContext::outgoing_header() })
            .await;
        assert!(
            header.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{header}"
        );
        assert!(header.ends_with("-01") && header.len() == 55, "{header}");
        assert!(
            !TraceContext::outgoing_header().contains(&t.trace_id),
            "outside: a new trace"
        );
    }
}
