//! Each face serves its own OpenAPI 3.1 document at `<prefix>/openapi.json`, and the shared
//! reader of every end-to-end answer (`agentgw_tests::json`) checks answers against it.

use std::sync::atomic::Ordering;

use agentgw_tests::contract::{CHECKED, Contract};
use agentgw_tests::{client, json as read};

use crate::faces;

#[tokio::test]
async fn every_face_serves_its_document_and_answers_are_checked_against_it() {
    let gw = faces::on_sqlite();
    for face in faces::all() {
        let url = gw.url(&face.path("/openapi.json"));
        let res = client().get(&url).send().await.expect("openapi.json");
        assert_eq!(res.status(), 200, "{url}");
        let doc: serde_json::Value = res.json().await.expect("JSON");
        assert_eq!(doc["openapi"], "3.1.0", "{}", face.name());
        let prefix = doc["servers"][0]["url"]
            .as_str()
            .expect("servers")
            .to_owned();
        assert!(
            url.ends_with(&format!("{prefix}/openapi.json")),
            "{url} vs {prefix}"
        );
        // Unauthenticated, and the same document `agentgw openapi` prints (docs/openapi/).
        let published = std::fs::read_to_string(
            agentgw_tests::repo_root().join(format!("docs/openapi/{}.json", face.name())),
        )
        .expect("published document");
        let mut served = doc.clone();
        served.as_object_mut().map(|d| d.remove("servers"));
        assert_eq!(
            served,
            serde_json::from_str::<serde_json::Value>(&published).expect("JSON"),
            "{}",
            face.name()
        );

        // A real answer is checked; a doctored one breaks the contract.
        let list = (face.kit().page)(0, 10);
        let before = CHECKED.load(Ordering::Relaxed);
        let (status, body) =
            read(face.request(&gw, "GET", &list).send().await.expect("list")).await;
        assert_eq!(status, 200, "{}: {body}", face.name());
        assert!(
            CHECKED.load(Ordering::Relaxed) > before,
            "{}: not checked",
            face.name()
        );
        let contract = Contract::new(doc);
        let path = face.path(list.split('?').next().unwrap_or_default());
        let (status, error) = read(
            face.request(&gw, "GET", "/no-such-thing")
                .send()
                .await
                .expect("request"),
        )
        .await;
        assert!(
            status >= 400 && contract.check(&path, 200, &error).is_err(),
            "{}: an error is no list",
            face.name()
        );
        assert!(
            contract
                .check(&path, 200, &serde_json::json!({"surprise": true}))
                .is_err(),
            "{}",
            face.name()
        );
    }
}
