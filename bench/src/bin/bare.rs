//! The anchors: bare actix-web answering a fixed 1 KiB JSON document, no gateway at all; and,
//! given a store's URL, `GET /agents/{id}` answering one agent's stored document through the
//! same single-row query the gateway makes and nothing else (what a hand-written service would
//! get): with sqlx on PostgreSQL, with rusqlite on the calling thread on a SQLite file (as the
//! gateway's inline reader does). Prints `listening on http://ADDR` like the gateway.
//! Usage: `bare [postgres://… | sqlite://FILE]`

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

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let body = web::Bytes::from(body());
    let store = std::env::args().nth(1);
    let sqlite = store
        .as_deref()
        .and_then(|url| url.strip_prefix("sqlite://"))
        .map(|file| web::Data::new(file.to_owned()));
    let pool = match store.filter(|_| sqlite.is_none()) {
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
