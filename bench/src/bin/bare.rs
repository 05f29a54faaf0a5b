//! The anchors: bare actix-web answering a fixed 1 KiB JSON document, no gateway at all; and,
//! given a PostgreSQL store's URL, `GET /agents/{id}` answering one agent's stored document
//! through the same single-row query the gateway makes, with sqlx and nothing else (what a
//! hand-written service would get). Prints `listening on http://ADDR` like the gateway.
//! Usage: `bare [postgres-url]`

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
    let row: Result<Option<Row>, _> = sqlx::query_as(
        "SELECT id, guid, short_id, doc, created_at, updated_at FROM agents \
         WHERE tenant = $1 AND deleted = 0 AND id = $2",
    )
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

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let body = web::Bytes::from(body());
    let pool = match std::env::args().nth(1) {
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
