//! One path of a face as a table row: the handlers it serves, and from them the face's 405
//! with an `Allow` that lists exactly those methods (no list written by hand beside them).

use std::sync::Arc;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{FromRequest, Handler, HttpRequest, Responder, ResponseError, web};

/// How a face words its 405: the request and the methods the path does serve.
pub type Refuse<E> = fn(&HttpRequest, &str) -> E;

/// A path being built: `resource(path, refuse).get(list).post(create)`.
pub struct Resource<E> {
    inner: actix_web::Resource,
    allow: Vec<&'static str>,
    refuse: Refuse<E>,
}

/// Start the path `path`; a method it is not given is answered with `refuse`'s error.
pub fn resource<E: ResponseError + 'static>(path: &str, refuse: Refuse<E>) -> Resource<E> {
    Resource {
        inner: web::resource(path),
        allow: Vec::new(),
        refuse,
    }
}

impl<E: ResponseError + 'static> Resource<E> {
    /// GET, and HEAD by the same handler (actix sends HEAD's answer without its body).
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::GET, handler.clone())
            .method(Method::HEAD, handler)
    }

    /// POST.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::POST, handler)
    }

    /// PUT.
    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::PUT, handler)
    }

    /// PATCH.
    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::PATCH, handler)
    }

    /// DELETE.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::DELETE, handler)
    }

    /// `method` served by `handler`, and listed in `Allow`.
    fn method<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.allow.push(method_name(&method));
        self.inner = self.inner.route(web::method(method).to(handler));
        self
    }

    /// The `Allow` value: the methods given, in the order they were given.
    pub fn allow(&self) -> String {
        self.allow.join(", ")
    }
}

/// A method's name for `Allow` (only the ones a builder method registers).
fn method_name(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ]
    .iter()
    .zip(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    .find_map(|(m, name)| (m == method).then_some(name))
    .unwrap_or("OPTIONS")
}

impl<E: ResponseError + 'static> HttpServiceFactory for Resource<E> {
    fn register(self, config: &mut AppService) {
        let allow: Arc<str> = self.allow().into();
        let refuse = self.refuse;
        let resource = self.inner.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move {
                let mut res = refuse(&req, &allow).error_response();
                with_allow(&mut res, &allow);
                res
            }
        }));
        resource.register(config);
    }
}

/// Give a 405 answer `Allow`, listing the methods the path does serve, unless the refusal
/// said its own (a path whose methods depend on its segment) or is no 405 at all (an
/// unknown segment is a 404, which has no `Allow`).
pub fn with_allow(res: &mut actix_web::HttpResponse, allow: &str) {
    let refused = res.status() == actix_web::http::StatusCode::METHOD_NOT_ALLOWED;
    if refused
        && !res.headers().contains_key(ALLOW)
        && let Ok(value) = HeaderValue::from_str(allow)
    {
        res.headers_mut().insert(ALLOW, value);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("no {0}")]
    struct No(String);

    impl ResponseError for No {
        fn status_code(&self) -> actix_web::http::StatusCode {
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED
        }
    }

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn allow_lists_the_handlers_given_in_their_order() {
        let app = test::init_service(
            App::new().service(
                resource("/x", |_, allow| No(allow.to_owned()))
                    .get(ok)
                    .patch(ok)
                    .delete(ok),
            ),
        )
        .await;
        for method in [Method::GET, Method::HEAD, Method::PATCH, Method::DELETE] {
            let req = test::TestRequest::default()
                .method(method.clone())
                .uri("/x")
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status().as_u16(), 200, "{method}");
        }
        let req = test::TestRequest::post().uri("/x").to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status().as_u16(), 405);
        assert_eq!(
            res.headers().get(ALLOW).and_then(|v| v.to_str().ok()),
            Some("GET, HEAD, PATCH, DELETE")
        );
        let body = test::read_body(res).await;
        assert_eq!(&body[..], b"no GET, HEAD, PATCH, DELETE");
    }
}
