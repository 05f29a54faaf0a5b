//! agentgw-inbound: the inbound plumbing every face shares — the route context a handler gets,
//! bounded body reading, JSON decoding that names the offending field, long arrays sent in
//! chunks, the request log, and what every face's OpenAPI document shares.
//! It knows actix-web and the core contract, nothing of any dialect's wire format.

pub mod array;
pub mod body;
pub mod context;
pub mod failure;
pub mod kit;
pub mod log;
pub mod normalize;
pub mod openapi;
pub mod reply;
pub mod resource;

pub use array::SortedArray;
pub use body::{BodyError, FieldError, decode, json_object, parse_object, present};
pub use context::{Adapter, Mount, RouteCtx, route_scope};
pub use failure::{Answer, Failure, answer};
pub use log::{RouteTable, request_log};
pub use normalize::NormalizePath;
pub use reply::{FaceError, RETRY_AFTER_SECS, error_builder, error_builder_after, respond};
pub use resource::{Resource, resource, with_allow};
