//! Optional OTLP export: with `[tracing] otlp_endpoint`, request and upstream-call spans go to
//! the collector in the same W3C trace the gateway propagates and logs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use agentgw_tests::Gateway;

use crate::faces;

/// A minimal OTLP/HTTP collector: keeps every request body (protobuf) and answers 200.
fn collector() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1/traces", listener.local_addr().expect("addr"));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let Ok(mut k) = kept.lock() {
                        k.push(body);
                    }
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if reader.get_mut().write_all(answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, bodies)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

fn exported(bodies: &Mutex<Vec<Vec<u8>>>, trace_id: &str) -> bool {
    let id = hex_bytes(trace_id);
    bodies
        .lock()
        .map(|b| b.iter().any(|body| body.windows(id.len()).any(|w| w == id)))
        .unwrap_or(false)
}

#[tokio::test]
async fn spans_are_exported_in_the_trace_the_gateway_propagates() {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let (endpoint, bodies) = collector();
    let b = faces::on_sqlite();
    let ndoto = faces::named("ndoto");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}/a.db", dir.path().display());
    let extra = format!(
        "[tracing]\notlp_endpoint = \"{endpoint}\"\nservice_name = \"agentgw-e2e\"\n\n\
         [upstreams.up]\ndialect = \"ndoto\"\nbase_url = \"{}/ndoto\"\ncredentials = {}\n",
        b.base,
        ndoto.credential_toml()
    );
    let mut a = Gateway::start_in(
        crate::BIN,
        dir,
        &faces::config(&store, 16 * 1024, "up", &extra),
        Vec::new(),
    );
    let list = (ndoto.kit().page)(0, 10);
    let res = ndoto
        .request(&a, "GET", &list)
        .header("traceparent", format!("00-{TRACE}-00f067aa0ba902b7-01"))
        .send()
        .await
        .expect("traced");
    assert_eq!(res.status(), 200);
    let res = ndoto
        .request(&a, "GET", &list)
        .header("x-request-id", "untraced-e2e")
        .send()
        .await
        .expect("untraced");
    assert_eq!(res.status(), 200);
    let a_logs = a.settled_logs().await;
    let started = agentgw_tests::logged_trace_id(&a_logs, "untraced-e2e").expect("a trace id");
    // A graceful stop exports what is buffered.
    assert!(a.terminate().success());
    assert!(exported(&bodies, TRACE), "the caller's trace is exported");
    assert!(
        exported(&bodies, &started),
        "a started trace is exported with the id logged"
    );
    let b_logs = b.settled_logs().await;
    for id in [TRACE, started.as_str()] {
        assert!(
            b_logs.contains(&format!("trace_id={id}")),
            "B is in trace {id}"
        );
    }
}
