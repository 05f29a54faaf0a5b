//! Upstream mode end to end: gateway A serves every registered face over an upstream that is
//! a second real agentgw process (B) serving one dialect from its own store. For every
//! dialect pair (face × upstream, enumerated from the registry) agents are created, read,
//! listed with paging, updated and deleted through A, and checked in B in B's own dialect.

use agentgw_inbound::kit::{Call, Person};
use agentgw_tests::Gateway;
use serde_json::json;

use crate::faces::{self, Face};

/// Upstream B: every face on its own store.
fn gateway_b() -> Gateway {
    faces::on_sqlite()
}

/// Gateway A: every face, all over the upstream `up`, which is B's face of `upstream`.
fn gateway_a(b: &Gateway, upstream: &Face) -> Gateway {
    gateway_over(&b.base, upstream, Vec::new())
}

/// Every face over the upstream `up`: the face of `upstream` of a gateway whose root URL is
/// `base` (B's own, or a TLS terminator or unresolvable host in front of it), started with
/// the extra environment `env`.
pub(crate) fn gateway_over(base: &str, upstream: &Face, env: Vec<(String, String)>) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "[upstreams.up]\ndialect = \"{name}\"\nbase_url = \"{base}/{name}{path}\"\ncredentials = {cred}\ntimeout_ms = 10000\n\
         [upstreams.up.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nemail_domain = \"example.com\"\nlast_name = \"(none)\"\npassword = \"generate\"\n",
        name = upstream.name(),
        path = upstream.kit().upstream_path,
        cred = upstream.credential_toml(),
    );
    let store = format!("sqlite://{}/a.db", dir.path().display());
    Gateway::start_in(
        crate::BIN,
        dir,
        &faces::config(&store, 16 * 1024, "up", &extra),
        env,
    )
}

/// Every face of A over one upstream dialect.
async fn matrix(upstream: Face) {
    let b = gateway_b();
    let a = gateway_a(&b, &upstream);
    // An upstream whose clients cannot rename holds no names (livechat): A keeps them.
    let names_upstream = upstream.kit().update_renames;
    for face in faces::all() {
        let pair = format!("{} over {}", face.name(), upstream.name());
        let locals: Vec<String> = (0..3).map(|i| format!("{}.{i}", face.name())).collect();
        let firsts: Vec<String> = (0..3).map(|i| format!("F{i}{}", face.name())).collect();
        let people: Vec<Person<'_>> = locals
            .iter()
            .zip(&firsts)
            .map(|(local, first)| Person {
                local,
                first,
                last: "Last",
            })
            .collect();
        let mut ids = Vec::new();
        for p in &people {
            ids.push(face.create(&a, p).await);
        }
        // B holds them, in its own dialect; A reads them back in the face's, with its ids.
        for (p, id) in people.iter().zip(&ids) {
            let up = upstream
                .find(&b, &p.email())
                .await
                .unwrap_or_else(|| panic!("{pair}: {} not upstream", p.email()));
            if face.kit().update_renames && names_upstream {
                assert_eq!(up.name, format!("{} Last", p.first), "{pair}");
            }
            let (status, agent) = face.get(&a, id).await;
            assert_eq!(status, 200, "{pair} get");
            let seen = (face.kit().seen)(&agent.unwrap_or_default());
            assert_eq!(seen.email, p.email(), "{pair}");
            if face.kit().update_renames {
                assert_eq!(seen.name, format!("{} Last", p.first), "{pair}");
            }
        }
        // Two a page, so that a paging face pages.
        let mut listed: Vec<String> = face
            .list_all(&a, 2)
            .await
            .iter()
            .map(|v| (face.kit().seen)(v).email)
            .collect();
        let mut expected: Vec<String> = people.iter().map(Person::email).collect();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "{pair}: list");

        // Update through A; B sees it (or A keeps it, where B cannot hold it).
        let (status, answer) = face
            .call(&a, (face.kit().update)(&ids[0], &people[0]))
            .await;
        assert_eq!(status, 200, "{pair}: update {answer}");
        let up = upstream
            .find(&b, &people[0].email())
            .await
            .expect("still upstream");
        if !face.kit().update_renames {
            // Promoted: every face of A that can tell says administrator (B may not hold
            // roles; A keeps them then).
            let mut told = Vec::new();
            for other in faces::all() {
                if let Some(admin) = other
                    .find(&a, &people[0].email())
                    .await
                    .and_then(|s| s.admin)
                {
                    told.push((other.name(), admin));
                }
            }
            assert!(
                !told.is_empty() && told.iter().all(|(_, admin)| *admin),
                "{pair}: {told:?}"
            );
        } else if names_upstream {
            assert_eq!(
                up.name,
                format!("{} Updated", people[0].first),
                "{pair}: upstream"
            );
        } else {
            let (_, agent) = face.get(&a, &ids[0]).await;
            let seen = (face.kit().seen)(&agent.unwrap_or_default());
            assert_eq!(
                seen.name,
                format!("{} Updated", people[0].first),
                "{pair}: kept by A"
            );
        }

        // Delete through A; gone upstream and through A.
        for id in &ids {
            let (status, answer) = face
                .call(
                    &a,
                    Call {
                        method: "DELETE",
                        path: (face.kit().member)(id),
                        body: None,
                    },
                )
                .await;
            assert!(
                status == 200 || status == 204,
                "{pair} delete: {status} {answer}"
            );
            let (status, agent) = face.get(&a, id).await;
            assert!(
                status >= 400 || agent.is_none(),
                "{pair}: deleted agent answers {status}"
            );
        }
        for p in &people {
            assert_eq!(
                upstream.find(&b, &p.email()).await,
                None,
                "{pair}: deleted upstream"
            );
        }
    }
}

/// One test per upstream dialect, each over every face: the registry decides both.
#[tokio::test]
async fn every_face_over_every_upstream() {
    // Two at a time: each pair of gateways is light, and the machine has two cores.
    let upstreams = faces::all();
    for pair in upstreams.chunks(2) {
        futures_util::future::join_all(pair.iter().cloned().map(matrix)).await;
    }
}

/// A store of 120 agents in B, created out of name order (7 is prime to 120), every tenth an
/// administrator.
async fn seed_120(b: &Gateway) {
    let ndoto = faces::named("ndoto");
    for i in 0..120 {
        let n = (i * 7) % 120;
        let role = if n % 10 == 0 {
            "administrator"
        } else {
            "agent"
        };
        let body = json!({"name": format!("Agent {n:03}"), "email": format!("agent{n:03}@example.com"), "role": role});
        let (status, _) = ndoto
            .call(b, Call::with("POST", "/api/v1/accounts/1/agents", body))
            .await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn paging_on_both_sides_over_a_paginated_upstream() {
    let b = gateway_b();
    seed_120(&b).await;
    let a = gateway_a(&b, &faces::named("supporthub"));
    let (ndoto, livechat, supporthub) = (
        faces::named("ndoto"),
        faces::named("livechat"),
        faces::named("supporthub"),
    );
    // An array face reads every upstream page, ordered by name across them.
    let (_, all) = ndoto.call(&a, Call::get("/api/v1/accounts/1/agents")).await;
    let names: Vec<&str> = all
        .as_array()
        .map(|x| x.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 120);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    // A paging face over a paging upstream: totals and windows are right.
    let (_, lc) = livechat
        .call(
            &a,
            Call::get("/api/v1/livechat/users/agent?count=50&offset=100"),
        )
        .await;
    assert_eq!(
        (
            lc["count"].as_u64(),
            lc["offset"].as_u64(),
            lc["total"].as_u64()
        ),
        (Some(20), Some(100), Some(120)),
        "{lc}"
    );
    assert_eq!(lc["users"][0]["name"], "Agent 100");
    let (_, sh) = supporthub
        .call(&a, Call::get("/api/agents?per_page=50&page=3"))
        .await;
    assert_eq!(
        (
            sh["meta"]["total"].as_u64(),
            sh["meta"]["from"].as_u64(),
            sh["meta"]["to"].as_u64()
        ),
        (Some(120), Some(101), Some(120)),
        "{}",
        sh["meta"]
    );
    assert_eq!(
        (
            sh["data"][0]["first_name"].as_str(),
            sh["data"][0]["last_name"].as_str()
        ),
        (Some("Agent"), Some("100"))
    );
    let (_, filtered) = supporthub
        .call(&a, Call::get("/api/agents?filter[email]=agent11"))
        .await;
    assert_eq!(
        filtered["meta"]["total"], 10,
        "the email filter is pushed down"
    );
    // The same agent has the same gateway id however it was reached, and after a restart.
    let via_list = all[5]["id"].clone();
    let member = format!("/api/v1/accounts/1/agents/{via_list}");
    let (status, one) = ndoto.call(&a, Call::get(member.clone())).await;
    assert_eq!((status, one["name"].as_str()), (200, Some("Agent 005")));
    let mut a = a;
    a.restart();
    let (status, again) = ndoto.call(&a, Call::get(member)).await;
    assert_eq!((status, again), (200, one));
}

#[tokio::test]
async fn lists_over_a_paginated_livechat_upstream_stream_its_pages() {
    let b = gateway_b();
    seed_120(&b).await;
    let a = gateway_a(&b, &faces::named("livechat"));
    let all = faces::named("ndoto").list_all(&a, 100).await;
    let names: Vec<&str> = all.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names.len(), 120);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    let admins = all.iter().filter(|v| v["role"] == "administrator").count();
    assert_eq!(admins, 12, "managers are known across every page");
    // supporthub's creation order is not livechat's: ordered in the gateway, page by page.
    let supporthub = faces::named("supporthub");
    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let (_, sh) = supporthub
            .call(
                &a,
                Call::get(format!("/api/agents?per_page=50&page={page}")),
            )
            .await;
        assert_eq!(sh["meta"]["total"], 120, "{}", sh["meta"]);
        for agent in sh["data"].as_array().into_iter().flatten() {
            assert!(seen.insert(agent["id"].clone()), "{agent} on two pages");
        }
    }
    assert_eq!(seen.len(), 120, "three windows cover every agent once");
}

#[tokio::test]
async fn verbs_the_upstream_lacks_are_refused_not_faked() {
    let b = gateway_b();
    let (supporthub, comm100) = (faces::named("supporthub"), faces::named("comm100"));
    let a = gateway_a(&b, &comm100);
    let id = supporthub
        .create(
            &a,
            &Person {
                local: "verbs",
                first: "Verb",
                last: "Tester",
            },
        )
        .await;
    // comm100 has no permissions: supporthub's endpoint answers "not supported", never a success.
    let (status, body) = supporthub
        .call(&a, Call::get(format!("/api/agents/{id}/permissions")))
        .await;
    assert_eq!(status, 501, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not supported")),
        "{body}"
    );
    let (status, _) = supporthub
        .call(
            &a,
            Call::with(
                "PATCH",
                format!("/api/agents/{id}/notifications"),
                json!({"new_ticket": false}),
            ),
        )
        .await;
    assert_eq!(status, 501);
    // comm100 does change passwords: supporthub's new_password reaches :changePassword.
    let change = json!({"new_password": "n3w-secret", "new_password_confirmation": "n3w-secret"});
    let (status, body) = supporthub
        .call(&a, Call::with("PATCH", format!("/api/agents/{id}"), change))
        .await;
    assert_eq!(status, 200, "{body}");

    let c = gateway_a(&b, &supporthub);
    let guid = comm100
        .create(
            &c,
            &Person {
                local: "unlock",
                first: "Un",
                last: "Lock",
            },
        )
        .await;
    // supporthub cannot unlock: comm100's :unlock is refused in comm100's shape.
    let (status, body) = comm100
        .call(
            &c,
            Call {
                method: "POST",
                path: format!("/v4/global/agents/{guid}:unlock"),
                body: None,
            },
        )
        .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (501, Some(501000)),
        "{body}"
    );
    // supporthub does change passwords (new_password): :changePassword reaches it.
    let (status, body) = comm100
        .call(
            &c,
            Call::with(
                "POST",
                format!("/v4/global/agents/{guid}:changePassword"),
                json!({"password": "An0ther-pw"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The W3C trace a client sends is logged by A and carried to B with a span of A's own; a
/// request without one starts a trace that B's log line shares.
#[tokio::test]
async fn the_trace_crosses_the_hop() {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let b = gateway_b();
    let upstream = faces::named("supporthub");
    let a = gateway_a(&b, &upstream);
    let face = faces::named("ndoto");
    let list = (face.kit().page)(0, 10);
    let res = face
        .request(&a, "GET", &list)
        .header("traceparent", format!("00-{TRACE}-00f067aa0ba902b7-01"))
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), 200);
    let (a_logs, b_logs) = (a.settled_logs().await, b.settled_logs().await);
    assert!(a_logs.contains(&format!("trace_id={TRACE}")), "{a_logs}");
    assert!(
        b_logs.contains(&format!("trace_id={TRACE}")),
        "B continues A's trace: {b_logs}"
    );

    // No traceparent: A starts a trace, and B's line for the call carries the same id.
    let res = face
        .request(&a, "GET", &list)
        .header("x-request-id", "untraced-request")
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), 200);
    let a_logs = a.settled_logs().await;
    let started = agentgw_tests::logged_trace_id(&a_logs, "untraced-request")
        .expect("A's line has a trace id");
    assert!(started.chars().all(|c| c.is_ascii_hexdigit()) && started.len() == 32);
    assert!(
        b.settled_logs()
            .await
            .contains(&format!("trace_id={started}"))
    );
}

/// `/readyz` asks the upstreams marked `ready_check`: ready while they answer, a 503 naming
/// the one that does not.
#[tokio::test]
async fn readyz_asks_the_upstreams_marked_ready_check() {
    let b = gateway_b();
    let port = agentgw_tests::closed_port();
    let ndoto = faces::named("ndoto");
    let upstreams = |down_checked: bool| {
        format!(
            "[upstreams.up]\ndialect = \"ndoto\"\nbase_url = \"{}/ndoto\"\ncredentials = {}\nready_check = true\n\n\
             [upstreams.down]\ndialect = \"ndoto\"\nbase_url = \"http://127.0.0.1:{port}\"\ncredentials = {{ token = \"t\" }}\ntimeout_ms = 2000\nready_check = {down_checked}\n",
            b.base,
            ndoto.credential_toml()
        )
    };
    for (down_checked, expected) in [(false, 200), (true, 503)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}/a.db", dir.path().display());
        let a = Gateway::start_in(
            crate::BIN,
            dir,
            &faces::config(&store, 16 * 1024, "up", &upstreams(down_checked)),
            Vec::new(),
        );
        let (status, body) = agentgw_tests::json(
            agentgw_tests::client()
                .get(a.url("/readyz"))
                .send()
                .await
                .expect("readyz"),
        )
        .await;
        assert_eq!(status, expected, "{body}");
        if expected == 503 {
            assert_eq!(
                body["upstreams"],
                json!({"down": "connection failed"}),
                "{body}"
            );
            assert!(body.get("store").is_none(), "{body}");
        }
    }
}
