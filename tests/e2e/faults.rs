//! Upstream faults a real peer cannot be made to produce, from a scriptable loopback mock
//! (wiremock): 500s, 429 with Retry-After, malformed JSON, answers past the timeout, a closed
//! port. Each is seen by an ndoto client of gateway A whose agents live in a "comm100" upstream.

use std::time::{Duration, Instant};

use agentgw_tests::{C1_TOKEN, Gateway, TOKEN, client, json as read};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIST: &str = "/ndoto/api/v1/accounts/1/agents";

fn gateway(base_url: &str, timeout_ms: u64) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{}/a.db\"\n\
         [upstreams.up]\ndialect = \"comm100\"\nbase_url = \"{base_url}\"\ncredentials = {{ token = \"{C1_TOKEN}\" }}\ntimeout_ms = {timeout_ms}\nretries = 2\n\
         [upstreams.up.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\npassword = \"generate\"\n\
         [[routes]]\nname = \"ndoto\"\ndialect = \"ndoto\"\nprefix = \"/ndoto\"\nbackend = \"up\"\ncredentials = [{{ token = \"{TOKEN}\" }}]\n",
        dir.path().display()
    );
    Gateway::start_in(crate::BIN, dir, &config, Vec::new())
}

async fn list(gw: &Gateway) -> (u16, serde_json::Value) {
    read(
        client()
            .get(gw.url(LIST))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("list"),
    )
    .await
}

#[tokio::test]
async fn server_errors_are_retried_then_a_502_in_the_face_dialect() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/global/agents"))
        .and(header(
            "authorization",
            format!("Bearer {C1_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(500).set_body_string("stack trace with secrets"))
        .expect(3) // the first try and two retries
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 2000);
    let (status, body) = list(&gw).await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        json!({"error": "The upstream helpdesk failed"}),
        "ndoto's shape, no upstream internals"
    );
    mock.verify().await;
    assert!(
        !gw.settled_logs().await.contains(C1_TOKEN),
        "the upstream token is never logged"
    );
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v4/global/agents"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 2000);
    let res = client()
        .post(gw.url(LIST))
        .header("api_access_token", TOKEN)
        .json(&json!({"name": "Ada Lovelace", "email": "ada@example.com", "role": "agent"}))
        .send()
        .await
        .expect("post");
    assert_eq!(read(res).await.0, 502);
    mock.verify().await;
}

#[tokio::test]
async fn rate_limits_are_honoured_with_retry_after() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/global/agents"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/v4/global/agents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 2000);
    let started = Instant::now();
    assert_eq!(list(&gw).await, (200, json!([])));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for Retry-After: {:?}",
        started.elapsed()
    );
    mock.verify().await;
}

#[tokio::test]
async fn malformed_json_is_a_502() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/global/agents"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"not\": [json"))
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 2000);
    let (status, body) = list(&gw).await;
    assert_eq!(status, 502);
    assert!(
        !body.to_string().contains("not"),
        "the upstream body is not echoed: {body}"
    );
}

#[tokio::test]
async fn answers_past_the_timeout_are_a_504() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/global/agents"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([]))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 300);
    let started = Instant::now();
    let (status, body) = list(&gw).await;
    assert_eq!(
        (status, body),
        (
            504,
            json!({"error": "The upstream helpdesk did not answer in time"})
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up at the timeout (3 tries × 300 ms + back-off)"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_502() {
    let port = agentgw_tests::closed_port();
    let gw = gateway(&format!("http://127.0.0.1:{port}"), 1000);
    let (status, body) = list(&gw).await;
    assert_eq!(
        (status, body),
        (502, json!({"error": "The upstream helpdesk failed"}))
    );
}

#[tokio::test]
async fn an_upstream_404_is_the_face_not_found_and_a_400_its_validation_error() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v4/global/agents"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"code": 400000, "message": "The field 'email' is not a valid email address."}),
        ))
        .mount(&mock)
        .await;
    let gw = gateway(&mock.uri(), 2000);
    let res = client()
        .post(gw.url(LIST))
        .header("api_access_token", TOKEN)
        .json(&json!({"name": "Ada Lovelace", "email": "ada@example.com", "role": "agent"}))
        .send()
        .await
        .expect("post");
    let (status, body) = read(res).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["message"], "The field 'email' is not a valid email address.",
        "the upstream's message"
    );
    let res = client()
        .get(gw.url(&format!("{LIST}/12345")))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(
        read(res).await,
        (404, json!({"error": "Resource could not be found"})),
        "an id that maps to nothing"
    );
}
