//! The anchor: bare actix-web answering a fixed 1 KiB JSON document, no gateway at all.
//! Prints `listening on http://ADDR` like the gateway.

use actix_web::{App, HttpResponse, HttpServer, web};

fn body() -> String {
    // A JSON object of exactly 1024 bytes.
    let head = "{\"data\":\"";
    let tail = "\"}";
    format!("{head}{}{tail}", "x".repeat(1024 - head.len() - tail.len()))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let body = web::Bytes::from(body());
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .bind("127.0.0.1:0")?;
    for addr in server.addrs() {
        println!("listening on http://{addr}");
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    server.run().await
}
