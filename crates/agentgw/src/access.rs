//! The request log line, written by a layer of its own.
//!
//! `tracing_subscriber::fmt` formats an event through `core::fmt` with styles (even when
//! colours are off), a field visitor of `Debug` calls and a timestamp built each time: 13,000
//! of the 96,000 instructions of a GET by id (callgrind). The request line has fixed fields,
//! so this layer writes it straight into the log buffer — the same text (or JSON) the fmt
//! layer wrote, byte for byte but for the time — while every other event still goes through
//! fmt. It is still a `tracing` event: `RUST_LOG` filters it as before.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The target of the request line (`agentgw_inbound::log`).
pub const TARGET: &str = "agentgw::request";

/// Writes request lines to `out`, as text or JSON.
pub struct RequestLines<W> {
    out: W,
    json: bool,
}

impl<W> RequestLines<W> {
    /// A layer writing to `out`; `json` for JSON lines.
    pub fn new(out: W, json: bool) -> Self {
        RequestLines { out, json }
    }
}

thread_local! {
    /// The line being written, reused; and the timestamp's second, formatted once a second.
    static LINE: RefCell<(String, i64, String)> = const { RefCell::new((String::new(), i64::MIN, String::new())) };
}

impl<S, W> Layer<S> for RequestLines<W>
where
    S: Subscriber,
    W: Write + Clone + Send + Sync + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        LINE.with(|cell| {
            let Ok(mut cell) = cell.try_borrow_mut() else {
                return;
            };
            let (line, second, prefix) = &mut *cell;
            line.clear();
            let now = chrono::Utc::now();
            if now.timestamp() != *second {
                *second = now.timestamp();
                *prefix = now.format("%Y-%m-%dT%H:%M:%S").to_string();
            }
            let micros = now.timestamp_subsec_micros().min(999_999);
            if self.json {
                line.push_str("{\"timestamp\":\"");
                push_time(line, prefix, micros);
                line.push_str("\",\"level\":\"INFO\",\"fields\":{");
                let mut fields = JsonFields { line, first: true };
                event.record(&mut fields);
                line.push_str("},\"target\":\"");
                line.push_str(TARGET);
                line.push_str("\"}\n");
            } else {
                push_time(line, prefix, micros);
                line.push_str("  INFO ");
                line.push_str(TARGET);
                line.push_str(": ");
                event.record(&mut TextFields { line });
                line.push('\n');
            }
            let _ = self.out.clone().write_all(line.as_bytes());
        });
    }
}

/// Fields as the fmt layer's text format writes them: the message bare, a `&str` field
/// quoted (`Debug`), a `%` field as it displays, numbers plain.
struct TextFields<'a> {
    line: &'a mut String,
}

impl TextFields<'_> {
    /// ` name=`, before a field's value.
    fn key(&mut self, field: &Field) {
        self.line.push(' ');
        self.line.push_str(field.name());
        self.line.push('=');
    }
}

// Written with `push_str` rather than `write!`: the request line is written for every
// request, and `core::fmt` cost about 400 instructions a field (callgrind, issue 26).
impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.line.push_str(value);
        } else {
            self.key(field);
            push_debug_str(self.line, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.line.push_str(itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.line.push_str(itoa::Buffer::new().format(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() != "message" {
            self.key(field);
        }
        let _ = write!(self.line, "{value:?}");
    }
}

/// `{prefix}.{micros:06}Z`: the timestamp, its second formatted once a second.
fn push_time(line: &mut String, prefix: &str, micros: u32) {
    line.push_str(prefix);
    line.push('.');
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(micros);
    for _ in digits.len()..6 {
        line.push('0');
    }
    line.push_str(digits);
    line.push('Z');
}

/// `value` as `{value:?}` writes it: quoted, and escaped where it has anything but printable
/// ASCII other than `"` and `\\` (the usual request fields have none, and skip `core::fmt`).
fn push_debug_str(line: &mut String, value: &str) {
    if value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        line.push('"');
        line.push_str(value);
        line.push('"');
    } else {
        let _ = write!(line, "{value:?}");
    }
}

/// Fields as the fmt layer's JSON format writes them: one object, strings escaped.
struct JsonFields<'a> {
    line: &'a mut String,
    first: bool,
}

impl JsonFields<'_> {
    fn key(&mut self, field: &Field) {
        if !self.first {
            self.line.push(',');
        }
        self.first = false;
        escape(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        escape(self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.line.push_str(itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.line.push_str(itoa::Buffer::new().format(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        escape(self.line, &format!("{value:?}"));
    }
}

/// `value` as a JSON string.
fn escape(line: &mut String, value: &str) {
    match serde_json::to_string(value) {
        Ok(quoted) => line.push_str(&quoted),
        Err(_) => line.push_str("\"\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::prelude::*;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            self.0
                .lock()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        }
    }

    fn emit() {
        let (route, method, path, id) = ("ndoto", "GET", "/n/a \"b\"", "abc");
        tracing::info!(
            target: "agentgw::request",
            route = %route,
            dialect = "ndoto",
            method = %method,
            path = %path,
            status = 200u16,
            latency_us = 17u64,
            request_id = %id,
            trace_id = %"0af7",
            escaped = "tab\there \"q\" \\ é",
            "request"
        );
    }

    /// The line without its timestamp (the two layers read the clock at different times).
    fn untimed(line: &str) -> String {
        line.split_once("Z ")
            .map_or_else(|| line.to_owned(), |(_, rest)| rest.to_owned())
    }

    #[test]
    fn the_text_line_is_the_fmt_layers_line() {
        let (ours, theirs) = (Sink::default(), Sink::default());
        let theirs_writer = theirs.clone();
        let subscriber = tracing_subscriber::registry()
            .with(RequestLines::new(ours.clone(), false))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || theirs_writer.clone()),
            );
        tracing::subscriber::with_default(subscriber, emit);
        assert!(ours.text().ends_with('\n'));
        assert_eq!(untimed(&ours.text()), untimed(&theirs.text()));
        assert!(
            ours.text()
                .contains(r#" dialect="ndoto" method=GET path=/n/a "b" status=200"#)
        );
    }

    #[test]
    fn the_time_has_six_digits_of_microseconds() {
        let mut line = String::new();
        push_time(&mut line, "2026-12-06T03:04:05", 42);
        assert_eq!(line, "2026-12-06T03:04:05.000042Z");
        line.clear();
        push_time(&mut line, "x", 999_999);
        assert_eq!(line, "x.999999Z");
    }

    #[test]
    fn the_json_line_has_the_fmt_layers_fields() -> Result<(), serde_json::Error> {
        let (ours, theirs) = (Sink::default(), Sink::default());
        let theirs_writer = theirs.clone();
        let subscriber = tracing_subscriber::registry()
            .with(RequestLines::new(ours.clone(), true))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(move || theirs_writer.clone()),
            );
        tracing::subscriber::with_default(subscriber, emit);
        let mut a: serde_json::Value = serde_json::from_str(&ours.text())?;
        let mut b: serde_json::Value = serde_json::from_str(&theirs.text())?;
        a["timestamp"] = serde_json::Value::Null;
        b["timestamp"] = serde_json::Value::Null;
        assert_eq!(a, b);
        Ok(())
    }
}
