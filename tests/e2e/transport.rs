//! How upstream calls travel: over TLS, verified against the platform's roots (here a test CA
//! given as `SSL_CERT_FILE`), and through the proxy the environment names (`HTTP_PROXY`).
//! Gateway A calls B, a real gateway, through a TLS terminator or a forwarding proxy that this
//! test runs on loopback.

use std::sync::{Arc, Mutex};

use agentgw_inbound::kit::Person;
use agentgw_tests::Gateway;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::faces;

/// A over B's supporthub face, B reached at `base`, with `env`.
fn gateway_over(base: &str, env: Vec<(String, String)>) -> Gateway {
    crate::upstream::gateway_over(base, &faces::named("supporthub"), env)
}

fn fixture(name: &str) -> String {
    agentgw_tests::repo_root()
        .join("tests/fixtures/tls")
        .join(name)
        .display()
        .to_string()
}

/// The address of a `http://ADDR` base URL.
fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// A TLS terminator on loopback in front of `target`, with the fixture's certificate for
/// 127.0.0.1 (issued by the fixture's CA); its `https://` base URL.
async fn tls_front(target: String) -> String {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(fixture("leaf.pem"))
        .expect("leaf.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("certificates");
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(fixture("leaf.key")).expect("key");
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, target) = (acceptor.clone(), target.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to relay.
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

/// A forwarding HTTP proxy on loopback that relays every connection to `target` whatever host
/// its request names, and keeps the first request line of each; its URL and those lines.
async fn proxy(target: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let lines = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (lines, target) = (lines.clone(), target.clone());
            tokio::spawn(async move {
                let mut head = vec![0u8; 8192];
                let Ok(n) = client.read(&mut head).await else {
                    return;
                };
                let text = String::from_utf8_lossy(&head[..n]).into_owned();
                if let Some(line) = text.lines().next()
                    && let Ok(mut lines) = lines.lock()
                {
                    lines.push(line.to_owned());
                }
                if let Ok(mut upstream) = TcpStream::connect(&target).await
                    && upstream.write_all(&head[..n]).await.is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

/// An agent created through A's ndoto face; whether B then holds it.
async fn created_through(a: &Gateway, b: &Gateway, local: &str) -> bool {
    let person = Person {
        local,
        first: "Tls",
        last: "Check",
    };
    faces::named("ndoto").create(a, &person).await;
    faces::named("supporthub")
        .find(b, &person.email())
        .await
        .is_some()
}

/// An `https://` upstream whose certificate the platform's roots vouch for is called; one they
/// do not is refused before anything is sent (a 502 for the client, the reason in the log).
#[tokio::test]
async fn https_upstreams_are_verified_against_the_platform_roots() {
    let b = faces::on_sqlite();
    let front = tls_front(addr(&b.base)).await;

    let trusting = gateway_over(&front, vec![("SSL_CERT_FILE".into(), fixture("ca.pem"))]);
    assert!(created_through(&trusting, &b, "tls.trusted").await);

    // The same upstream, the system's own roots: the test CA is not among them.
    let other = gateway_over(&front, Vec::new());
    let ndoto = faces::named("ndoto");
    let res = ndoto
        .request(&other, "GET", &(ndoto.kit().page)(0, 10))
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), 502);
    let logs = other.settled_logs().await;
    assert!(logs.contains("upstream unreachable"), "{logs}");
    assert!(
        logs.contains("certificate"),
        "the reason is the certificate: {logs}"
    );
}

/// With `HTTP_PROXY` set, every call goes to the proxy with the upstream's URL in its request
/// line (the upstream's host does not even resolve here), as reqwest did for every call.
#[tokio::test]
async fn calls_go_through_the_proxy_the_environment_names() {
    let b = faces::on_sqlite();
    let (proxy_url, seen) = proxy(addr(&b.base)).await;
    let a = gateway_over(
        "http://upstream.invalid",
        vec![
            ("HTTP_PROXY".into(), proxy_url),
            ("NO_PROXY".into(), String::new()),
        ],
    );
    let logs = a.settled_logs().await;
    assert!(
        logs.contains("calls go through the system's proxy"),
        "{logs}"
    );
    assert!(created_through(&a, &b, "proxied").await);
    let lines = seen.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" http://upstream.invalid/supporthub/")),
        "{lines:?}"
    );
}
