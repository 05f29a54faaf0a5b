//! Long JSON arrays: collected as rendered elements in any order, sent sorted, in chunks.
//!
//! A face whose dialect answers a list as one unpaged array (ndoto) over an upstream of
//! 100,000 agents cannot hold them as canonical agents: each is rendered as it arrives, and
//! only its order key and its JSON bytes are kept. The bytes stay in memory up to
//! `SPILL_AT`; past that they go to an unlinked temporary file (as nginx buffers a large
//! upstream answer in `proxy_temp`), so memory grows by the order keys alone. The body is
//! written from the sorted keys a chunk at a time, with its length known up front.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use actix_web::HttpResponse;
use actix_web::body::SizedStream;
use actix_web::web::{Bytes, BytesMut};
use agentgw_model::{Agent, OrderKey, SortOrder};
use serde::Serialize;

/// About how many bytes each chunk of the body carries.
const CHUNK: usize = 64 * 1024;
/// Rendered bytes kept in memory before they move to a temporary file.
const SPILL_AT: usize = 1024 * 1024;

/// Where the rendered elements are kept until the answer is sent.
enum Held {
    Memory(Vec<u8>),
    File { file: BufWriter<File>, len: u64 },
}

/// Rendered array elements and the order they are to be sent in.
pub struct SortedArray {
    order: SortOrder,
    spill_at: usize,
    /// Each element's order key, offset and length in `held`.
    index: Vec<(OrderKey, u64, u32)>,
    held: Held,
    /// One element's JSON, reused so that rendering allocates nothing per element.
    scratch: Vec<u8>,
}

impl SortedArray {
    /// An empty array to be sent in `order`.
    pub fn new(order: SortOrder) -> Self {
        SortedArray::spilling_at(order, SPILL_AT)
    }

    /// The same, moving to a temporary file past `spill_at` bytes.
    fn spilling_at(order: SortOrder, spill_at: usize) -> Self {
        SortedArray {
            order,
            spill_at,
            index: Vec::new(),
            held: Held::Memory(Vec::new()),
            scratch: Vec::new(),
        }
    }

    /// Keep `agent`'s place in the order and its rendering `wire`.
    pub fn push(&mut self, agent: &Agent, wire: &impl Serialize) -> std::io::Result<()> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, wire)?;
        let json = &self.scratch;
        let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
        let offset = match &mut self.held {
            Held::Memory(buf) => {
                let offset = buf.len() as u64;
                buf.extend_from_slice(json);
                offset
            }
            Held::File { file, len } => {
                let offset = *len;
                file.write_all(json)?;
                *len += json.len() as u64;
                offset
            }
        };
        self.index.push((self.order.key_of(agent), offset, len));
        self.spill_if_large();
        Ok(())
    }

    /// Move the bytes to a temporary file once they pass `spill_at`; if no file can be
    /// made they stay in memory (which then grows with the list, but the answer is whole).
    fn spill_if_large(&mut self) {
        let Held::Memory(buf) = &self.held else {
            return;
        };
        if buf.len() <= self.spill_at {
            return;
        }
        let spilled = tempfile::tempfile().and_then(|f| {
            let mut file = BufWriter::with_capacity(CHUNK, f);
            file.write_all(buf)?;
            Ok(file)
        });
        match spilled {
            Ok(file) => {
                let len = buf.len() as u64;
                self.held = Held::File { file, len };
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot buffer a long list in a temporary file; keeping it in memory");
                self.spill_at = usize::MAX;
            }
        }
    }

    /// A 200 with the elements as one JSON array, in order.
    pub fn respond(mut self) -> std::io::Result<HttpResponse> {
        let order = self.order;
        self.index
            .sort_unstable_by(|a, b| order.compare(&a.0, &b.0));
        let places: Vec<(u64, u32)> = self.index.into_iter().map(|(_, o, l)| (o, l)).collect();
        let source = match self.held {
            Held::Memory(buf) => Source::Memory(buf),
            Held::File { file, .. } => Source::File(file.into_inner().map_err(|e| e.into_error())?),
        };
        let commas = places.len().saturating_sub(1);
        let length = 2 + commas as u64 + places.iter().map(|p| u64::from(p.1)).sum::<u64>();
        Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(SizedStream::new(length, chunks(places, source))))
    }
}

/// Where `chunks` copies the elements from.
enum Source {
    Memory(Vec<u8>),
    File(File),
}

impl Source {
    fn copy(&self, (offset, len): (u64, u32), into: &mut BytesMut) -> std::io::Result<()> {
        let start = into.len();
        into.resize(start + len as usize, 0);
        match self {
            Source::Memory(buf) => {
                let from = usize::try_from(offset).map_err(std::io::Error::other)?;
                let bytes = buf
                    .get(from..from + len as usize)
                    .ok_or_else(|| std::io::Error::other("element past the buffer"))?;
                into[start..].copy_from_slice(bytes);
            }
            // A read of what this process wrote a moment ago: served from the page cache.
            Source::File(file) => file.read_exact_at(&mut into[start..], offset)?,
        }
        Ok(())
    }
}

/// `[`, the elements separated by commas, `]`, in chunks of about `CHUNK` bytes. The body's
/// length is already promised, so a failed read of the temporary file can only end the body
/// early (the client sees a short body, never a wrong one).
fn chunks(
    places: Vec<(u64, u32)>,
    source: Source,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    let state = (places.into_iter().peekable(), source, true, false);
    futures_util::stream::unfold(state, |(mut places, source, first, done)| async move {
        if done {
            return None;
        }
        let mut chunk = BytesMut::with_capacity(CHUNK + 1024);
        if first {
            chunk.extend_from_slice(b"[");
        }
        while chunk.len() < CHUNK {
            let Some(place) = places.next() else { break };
            if let Err(e) = source.copy(place, &mut chunk) {
                tracing::error!(error = %e, "cannot read back a buffered list element");
                return Some((Err(e), (places, source, false, true)));
            }
            if places.peek().is_some() {
                chunk.extend_from_slice(b",");
            }
        }
        let done = places.peek().is_none();
        if done {
            chunk.extend_from_slice(b"]");
        }
        Some((Ok(chunk.freeze()), (places, source, false, done)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;
    use agentgw_model::{AgentIds, Profile};

    fn agent(id: i64, name: &str) -> Agent {
        Agent {
            ids: AgentIds {
                int: id,
                guid: uuid::Uuid::nil(),
                short: format!("s{id}"),
            },
            profile: Profile {
                display_name: name.into(),
                ..Profile::default()
            },
            created_at: chrono::DateTime::default(),
            updated_at: chrono::DateTime::default(),
        }
    }

    async fn body_of(array: SortedArray) -> (Option<u64>, Vec<u8>) {
        let Ok(response) = array.respond() else {
            return (None, Vec::new());
        };
        let body = response.into_body();
        let declared = match body.size() {
            actix_web::body::BodySize::Sized(n) => Some(n),
            _ => None,
        };
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        (declared, bytes)
    }

    #[actix_web::test]
    async fn elements_come_out_in_order_as_one_valid_array_of_the_declared_length() {
        let mut array = SortedArray::new(SortOrder::NAME);
        // Enough elements for several chunks.
        for i in 0..5000 {
            let name = format!("agent {:04}", (i * 7919) % 5000);
            array
                .push(
                    &agent(i, &name),
                    &serde_json::json!({"id": i, "name": name}),
                )
                .unwrap_or_default();
        }
        let (declared, bytes) = body_of(array).await;
        assert_eq!(declared, Some(bytes.len() as u64));
        assert!(bytes.len() > 2 * CHUNK, "spans several chunks");
        let parsed: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap_or_default();
        let names: Vec<&str> = parsed.iter().filter_map(|v| v["name"].as_str()).collect();
        assert_eq!(names.len(), 5000);
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted by name");
    }

    /// The same elements through memory and through a temporary file give the same body.
    #[actix_web::test]
    async fn a_spilled_array_answers_exactly_as_one_in_memory() {
        let fill = |mut array: SortedArray| {
            for i in 0..3000 {
                let name = format!("Agent {:04}", (i * 37) % 3000);
                array
                    .push(
                        &agent(i, &name),
                        &serde_json::json!({"id": i, "name": name, "pad": "x".repeat(40)}),
                    )
                    .unwrap_or_default();
            }
            array
        };
        let spilled = fill(SortedArray::spilling_at(SortOrder::NAME, 4096));
        assert!(
            matches!(spilled.held, Held::File { .. }),
            "past the threshold it moved to a file"
        );
        let in_memory = fill(SortedArray::new(SortOrder::NAME));
        assert!(matches!(in_memory.held, Held::Memory(_)));
        let (spilled, in_memory) = (body_of(spilled).await, body_of(in_memory).await);
        assert!(spilled.1.len() > 2 * CHUNK);
        assert_eq!(spilled, in_memory);
    }

    #[actix_web::test]
    async fn no_elements_is_an_empty_array() {
        let (declared, bytes) = body_of(SortedArray::new(SortOrder::NAME)).await;
        assert_eq!(bytes, b"[]");
        assert_eq!(declared, Some(2));
    }
}
