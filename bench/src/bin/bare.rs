//! The anchors: bare actix-web answering a fixed 1 KiB JSON document, no gateway at all; and,
//! given a store's URL, `GET /agents/{id}` answering one agent's stored document through the
//! same single-row query the gateway makes and nothing else (what a hand-written service would
//! get): with sqlx on PostgreSQL, with rusqlite on the calling thread on a SQLite file (as the
//! gateway's inline reader does). Given an upstream's base URL, a pass-through: every GET
//! forwarded to the same path below it with the caller's `Authorization`, its status and body
//! answered as they came, through one pooled client per worker thread set up as the gateway
//! sets up its own (what the gateway's HTTP stack costs before it translates anything; nginx
//! is scenario 5's other pass-through). `hyper+http://…` does the same through hyper-util's
//! client without reqwest's layers. Prints `listening on http://ADDR` like the gateway.
//! Usage: `bare [postgres://… | sqlite://FILE | http://BASE | hyper+http://BASE]`

use actix_web::{App, HttpResponse, HttpServer, web};
use sqlx::postgres::PgPoolOptions;

fn body() -> String {
    // A JSON object of exactly 1024 bytes.
    let head = "{\"data\":\"";
    let tail = "\"}";
    format!("{head}{}{tail}", "x".repeat(1024 - head.len() - tail.len()))
}

/// One seeded agent's stored document, as the gateway's GET by id reads it (its pool is as big
/// as the gateway's).
async fn agent(pool: web::Data<sqlx::PgPool>, id: web::Path<i64>) -> HttpResponse {
    type Row = (i64, String, String, String, String, String);
    let row: Result<Option<Row>, _> = sqlx::query_as(BY_ID)
        .bind("default")
        .bind(id.into_inner())
        .fetch_optional(pool.get_ref())
        .await;
    match row {
        Ok(Some((_, _, _, doc, _, _))) => HttpResponse::Ok()
            .content_type("application/json")
            .body(doc),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}

const BY_ID: &str = "SELECT id, guid, short_id, doc, created_at, updated_at FROM agents \
                     WHERE tenant = $1 AND deleted = 0 AND id = $2";

thread_local! {
    /// One read-only connection per worker thread, opened on first use.
    static SQLITE: std::cell::RefCell<Option<rusqlite::Connection>> = const { std::cell::RefCell::new(None) };
}

/// The same read on a SQLite file, run inline on the worker's own connection.
async fn sqlite_agent(file: web::Data<String>, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let doc = SQLITE.with(|cell| -> rusqlite::Result<Option<String>> {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(rusqlite::Connection::open_with_flags(
                file.get_ref(),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?);
        }
        let Some(conn) = slot.as_ref() else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(BY_ID)?;
        let mut rows = stmt.query(rusqlite::params!["default", id])?;
        rows.next()?.map(|r| r.get::<_, String>(3)).transpose()
    });
    match doc {
        Ok(Some(doc)) => HttpResponse::Ok()
            .content_type("application/json")
            .body(doc),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}

thread_local! {
    /// One pooled client per worker thread, built on first use (as the gateway's are).
    static REQWEST: std::cell::OnceCell<reqwest::Client> = const { std::cell::OnceCell::new() };
    /// The same through hyper-util's client, without reqwest's layers.
    static HYPER: std::cell::OnceCell<HyperClient> = const { std::cell::OnceCell::new() };
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Empty<web::Bytes>,
>;

/// Where a pass-through forwards, and through which client.
struct Upstream {
    base: String,
    hyper: bool,
}

/// A GET forwarded below the upstream's base, its status and body answered as they came.
async fn forward(up: web::Data<Upstream>, req: actix_web::HttpRequest) -> HttpResponse {
    let url = format!("{}{}", up.base, req.path());
    let auth = req.headers().get("authorization").cloned();
    let answer = if up.hyper {
        forward_hyper(&url, auth).await
    } else {
        forward_reqwest(&url, auth).await
    };
    match answer {
        Ok((status, body)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
        )
        .content_type("application/json")
        .body(body),
        Err(e) => HttpResponse::BadGateway().body(e),
    }
}

async fn forward_reqwest(
    url: &str,
    auth: Option<actix_web::http::header::HeaderValue>,
) -> Result<(u16, web::Bytes), String> {
    let client = REQWEST.with(|c| {
        c.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never())
                .referer(false)
                .build()
                .unwrap_or_default()
        })
        .clone()
    });
    let mut call = client.get(url);
    if let Some(auth) = auth {
        call = call.header("authorization", auth.as_bytes());
    }
    let reply = call.send().await.map_err(|e| e.to_string())?;
    let status = reply.status().as_u16();
    let body = reply.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

async fn forward_hyper(
    url: &str,
    auth: Option<actix_web::http::header::HeaderValue>,
) -> Result<(u16, web::Bytes), String> {
    use http_body_util::BodyExt;
    let client = HYPER.with(|c| {
        c.get_or_init(|| {
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http()
        })
        .clone()
    });
    let mut call = hyper::Request::get(url);
    if let Some(auth) = auth {
        call = call.header("authorization", auth.as_bytes());
    }
    let call = call
        .body(http_body_util::Empty::new())
        .map_err(|e| e.to_string())?;
    let reply = tokio::time::timeout(std::time::Duration::from_secs(10), client.request(call))
        .await
        .map_err(|_| "timeout".to_owned())?
        .map_err(|e| e.to_string())?;
    let status = reply.status().as_u16();
    let body = reply
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let body = web::Bytes::from(body());
    let store = std::env::args().nth(1);
    let sqlite = store
        .as_deref()
        .and_then(|url| url.strip_prefix("sqlite://"))
        .map(|file| web::Data::new(file.to_owned()));
    let upstream = store.as_deref().and_then(|url| {
        let (hyper, base) = match url.strip_prefix("hyper+") {
            Some(base) => (true, base),
            None => (false, url),
        };
        base.starts_with("http://").then(|| {
            web::Data::new(Upstream {
                base: base.trim_end_matches('/').to_owned(),
                hyper,
            })
        })
    });
    let pool = match store.filter(|_| sqlite.is_none() && upstream.is_none()) {
        Some(url) => Some(
            PgPoolOptions::new()
                .max_connections(8)
                .connect(&url)
                .await
                .map_err(std::io::Error::other)?,
        ),
        None => None,
    };
    let server = HttpServer::new(move || {
        let body = body.clone();
        let mut app = App::new().route(
            "/",
            web::get().to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        );
        if let Some(pool) = &pool {
            app = app
                .app_data(web::Data::new(pool.clone()))
                .route("/agents/{id}", web::get().to(agent));
        }
        if let Some(file) = &sqlite {
            app = app
                .app_data(file.clone())
                .route("/agents/{id}", web::get().to(sqlite_agent));
        }
        if let Some(upstream) = &upstream {
            app = app
                .app_data(upstream.clone())
                .default_service(web::get().to(forward));
        }
        app
    })
    .bind("127.0.0.1:0")?;
    for addr in server.addrs() {
        println!("listening on http://{addr}");
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    server.run().await
}
