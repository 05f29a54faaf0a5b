//! Long JSON arrays: collected as rendered elements in order, sent in chunks.
//!
//! A face whose dialect answers a list as one unpaged array (ndoto) over an upstream of
//! 100,000 agents cannot hold them as canonical agents: each is rendered as it arrives, only
//! its order key and its JSON bytes are kept, and the body is written from those, a chunk
//! at a time, with its length known up front.

use std::convert::Infallible;

use actix_web::HttpResponse;
use actix_web::body::SizedStream;
use actix_web::web::{Bytes, BytesMut};
use agentgw_model::{Agent, OrderKey, SortOrder};
use serde::Serialize;

/// About how many bytes each chunk of the body carries.
const CHUNK: usize = 64 * 1024;

/// Rendered array elements and the order they are to be sent in.
pub struct SortedArray {
    order: SortOrder,
    items: Vec<(OrderKey, Box<[u8]>)>,
}

impl SortedArray {
    /// An empty array to be sent in `order`.
    pub fn new(order: SortOrder) -> Self {
        SortedArray {
            order,
            items: Vec::new(),
        }
    }

    /// Keep `agent`'s place in the order and its rendering `wire`.
    pub fn push(&mut self, agent: &Agent, wire: &impl Serialize) -> Result<(), serde_json::Error> {
        let json = serde_json::to_vec(wire)?.into_boxed_slice();
        self.items.push((self.order.key_of(agent), json));
        Ok(())
    }

    /// A 200 with the elements as one JSON array, in order.
    pub fn respond(mut self) -> HttpResponse {
        let order = self.order;
        self.items
            .sort_unstable_by(|a, b| order.compare(&a.0, &b.0));
        let items: Vec<Box<[u8]>> = self.items.into_iter().map(|(_, json)| json).collect();
        let commas = items.len().saturating_sub(1);
        let length = 2 + commas + items.iter().map(|i| i.len()).sum::<usize>();
        HttpResponse::Ok()
            .content_type("application/json")
            .body(SizedStream::new(length as u64, chunks(items)))
    }
}

/// `[`, the elements separated by commas, `]`, in chunks of about `CHUNK` bytes; each
/// element's memory is freed once it is copied into a chunk.
fn chunks(
    items: Vec<Box<[u8]>>,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + 'static {
    let state = (items.into_iter().peekable(), true, false);
    futures_util::stream::unfold(state, |(mut items, first, done)| async move {
        if done {
            return None;
        }
        let mut chunk = BytesMut::with_capacity(CHUNK + 1024);
        if first {
            chunk.extend_from_slice(b"[");
        }
        while chunk.len() < CHUNK {
            let Some(item) = items.next() else { break };
            chunk.extend_from_slice(&item);
            if items.peek().is_some() {
                chunk.extend_from_slice(b",");
            }
        }
        let done = items.peek().is_none();
        if done {
            chunk.extend_from_slice(b"]");
        }
        Some((Ok(chunk.freeze()), (items, false, done)))
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
        let body = array.respond().into_body();
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

    #[actix_web::test]
    async fn no_elements_is_an_empty_array() {
        let (declared, bytes) = body_of(SortedArray::new(SortOrder::NAME)).await;
        assert_eq!(bytes, b"[]");
        assert_eq!(declared, Some(2));
    }
}
