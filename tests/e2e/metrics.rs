//! Prometheus metrics on the admin listener: requests by route, dialect, method and status
//! class; upstream calls by outcome; store operations; build info. Never on the public port.

use agentgw_inbound::kit::Person;
use agentgw_tests::{Gateway, client};
use reqwest::Method;

use crate::faces::{self, Face};

/// A gateway serving every face over `backend`, with `[admin]` on a free port.
fn with_admin(backend: &str, extra: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}/agentgw.db", dir.path().display());
    let extra = format!("[admin]\nlisten = \"127.0.0.1:0\"\n\n{extra}");
    Gateway::start_in(
        crate::BIN,
        dir,
        &faces::config(&store, 16 * 1024, backend, &extra),
        Vec::new(),
    )
}

async fn scrape(gw: &Gateway) -> String {
    let admin = gw.admin.as_deref().expect("the admin listener");
    let res = client()
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    res.text().await.expect("text")
}

/// The value of the sample whose name and labels start as `prefix` says.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_store_and_upstream_calls_are_counted_on_the_admin_port_only() {
    let b = faces::on_sqlite();
    let ndoto = faces::named("ndoto");
    let upstream = format!(
        "[upstreams.up]\ndialect = \"ndoto\"\nbase_url = \"{}/ndoto\"\ncredentials = {}\ntimeout_ms = 5000\n\n\
         [upstreams.gone]\ndialect = \"ndoto\"\nbase_url = \"http://127.0.0.1:9/ndoto\"\ncredentials = {{ token = \"t\" }}\nretries = 0\n",
        b.base,
        ndoto.credential_toml()
    );
    let a = with_admin("up", &upstream);
    let person = Person {
        local: "metrics",
        first: "Metric",
        last: "Person",
    };
    let id = ndoto.create(&a, &person).await;
    assert_eq!(ndoto.get(&a, &id).await.0, 200);
    let (status, _) = faces::send(
        &a,
        Method::GET,
        "/ndoto/api/v1/accounts/1/agents/999999",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let nowhere = agentgw_tests::client()
        .get(a.url("/nowhere"))
        .send()
        .await
        .expect("request");
    assert_eq!(nowhere.status(), 404);
    let odd = Method::from_bytes(b"BREW").expect("method");
    let _ = ndoto
        .request(&a, odd.as_str(), "/api/v1/accounts/1/agents")
        .send()
        .await;

    let text = scrape(&a).await;
    assert_eq!(
        sample(&text, "agentgw_build_info{version=\""),
        Some(1.0),
        "{text}"
    );
    let requests = |method: &str, status: &str| {
        sample(
            &text,
            &format!(
                "agentgw_requests_total{{route=\"ndoto\",dialect=\"ndoto\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert!(requests("POST", "2xx").is_some_and(|n| n >= 1.0), "{text}");
    assert!(requests("GET", "4xx").is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        requests("other", "4xx").is_some_and(|n| n >= 1.0),
        "a made-up method is `other`: {text}"
    );
    assert!(!text.contains("BREW"), "a client cannot add label values");
    assert!(
        sample(
            &text,
            "agentgw_requests_total{route=\"none\",dialect=\"none\",method=\"GET\",status=\"4xx\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "a path no route serves is `none`: {text}"
    );
    assert!(text.contains("agentgw_request_duration_seconds_bucket{route=\"ndoto\",dialect=\"ndoto\",method=\"POST\",le=\""));
    assert!(
        sample(
            &text,
            "agentgw_upstream_requests_total{upstream=\"up\",outcome=\"ok\"}"
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(
        text.contains("agentgw_upstream_request_duration_seconds_bucket{upstream=\"up\",le=\"")
    );
    assert!(
        text.contains("agentgw_store_query_duration_seconds"),
        "the id map is in the store: {text}"
    );
    assert!(text.contains("# HELP agentgw_requests_total "));

    // B keeps its own metrics only if it has [admin]; it has none.
    assert!(b.admin.is_none());
    // The public port does not serve them.
    let res = client()
        .get(a.url("/metrics"))
        .send()
        .await
        .expect("public");
    assert_eq!(res.status(), 404);

    // An upstream nobody listens on: a connect error, counted as such.
    let c = with_admin("gone", &upstream);
    let face: Face = faces::named("livechat");
    let (status, _) = faces::send(
        &c,
        Method::GET,
        &face.path("/api/v1/livechat/users/agent"),
        None,
    )
    .await;
    assert!(status >= 500, "{status}");
    let text = scrape(&c).await;
    assert!(
        sample(
            &text,
            "agentgw_upstream_requests_total{upstream=\"gone\",outcome=\"connect_error\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
}

#[tokio::test]
async fn an_embedded_gateway_measures_its_store_and_password_hashing() {
    let gw = with_admin("embedded", "");
    let face = faces::named("supporthub");
    face.create(
        &gw,
        &Person {
            local: "hashq",
            first: "Hash",
            last: "Queue",
        },
    )
    .await;
    let text = scrape(&gw).await;
    assert!(
        text.contains("agentgw_store_query_duration_seconds_bucket{op=\"create\",le=\""),
        "{text}"
    );
    assert_eq!(
        sample(&text, "agentgw_password_hash_queue_depth "),
        Some(0.0),
        "{text}"
    );
}
