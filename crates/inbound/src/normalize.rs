//! Paths as real clients send them — `//` inside, a trailing `/` — collapsed before routing.
//!
//! actix's `NormalizePath::trim` does this too, but copies the path and runs a regex over it on
//! every request (about 3 % of a GET by id); nearly every path needs nothing, so here one scan
//! decides, and only a path that needs it is rebuilt.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Uri;
use actix_web::http::uri::PathAndQuery;

/// Middleware: collapse runs of `/` and drop a trailing `/` (the root stays `/`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NormalizePath;

/// The normalised form of `path`, or `None` when it is already normal.
pub fn normalized(path: &str) -> Option<String> {
    let doubled = path.as_bytes().windows(2).any(|w| w == b"//");
    let trailing = path.len() > 1 && path.ends_with('/');
    if !doubled && !trailing {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

impl<S, B> Transform<S, ServiceRequest> for NormalizePath
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = Normalizing<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Normalizing { service }))
    }
}

/// The service [`NormalizePath`] wraps around the app.
pub struct Normalizing<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for Normalizing<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if let Some(path) = normalized(req.path()) {
            let mut parts = req.head().uri.clone().into_parts();
            let with_query = match parts.path_and_query.as_ref().and_then(|pq| pq.query()) {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            // The path came from a URI that parsed, with characters only removed: it parses.
            if let Ok(pq) = PathAndQuery::try_from(with_query)
                && let Ok(uri) = Uri::from_parts({
                    parts.path_and_query = Some(pq);
                    parts
                })
            {
                // Nothing is matched yet at the outermost middleware: no segment to reindex.
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
        self.service.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::normalized;

    #[test]
    fn only_paths_that_need_it_are_rebuilt() {
        let cases = [
            ("/ndoto/api/v1/agents/5", None),
            ("/", None),
            ("/ndoto//api///v1/agents/", Some("/ndoto/api/v1/agents")),
            ("/ndoto/agents/", Some("/ndoto/agents")),
            ("//", Some("/")),
            ("///", Some("/")),
        ];
        for (path, want) in cases {
            assert_eq!(normalized(path).as_deref(), want, "{path}");
        }
    }
}
