//! The outbound clients against fakes of the real vendors (`agentgw_tests::vendors`): the
//! gateway binary serves every face over one upstream that is a fake Chatwoot, Rocket.Chat or
//! Libredesk in this process, and each test asserts on what the *vendor* ended up holding —
//! not on what another agentgw says — after creates, reads, updates, lists and deletes
//! through the upstream dialect's own face and through others.

use agentgw_inbound::kit::{Call, Person};
use agentgw_tests::Gateway;
use agentgw_tests::vendors::chatwoot::Chatwoot;
use agentgw_tests::vendors::libredesk::{self, Libredesk};
use agentgw_tests::vendors::rocketchat::RocketChat;
use agentgw_tests::vendors::{Fake, Logged, Vendor};
use serde_json::{Value, json};

use crate::faces::{self, Face};

/// The credentials the fakes accept (the gateway's outbound credentials).
const CW_TOKEN: &str = "vendor-chatwoot-token-0e91";
const RC_USER: &str = "vendor-rc-admin";
const RC_TOKEN: &str = "vendor-rc-token-77f3";
const LD_KEY: &str = "vendor-ld-key";
const LD_SECRET: &str = "vendor-ld-secret-3c2a";

/// A gateway serving every face over the upstream `up` of `dialect` at `base` (`options` are
/// the upstream's own keys).
fn gateway_over(dialect: &str, base: &str, credentials: &str, options: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "[upstreams.up]\ndialect = \"{dialect}\"\nbase_url = \"{base}\"\ncredentials = {credentials}\ntimeout_ms = 10000\n{options}\n\
         [upstreams.up.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nemail_domain = \"example.com\"\nlast_name = \"(none)\"\npassword = \"generate\"\n"
    );
    let store = format!("sqlite://{}/gateway.db", dir.path().display());
    Gateway::start_in(
        crate::BIN,
        dir,
        &faces::config(&store, 16 * 1024, "up", &extra),
        Vec::new(),
    )
}

/// `method path` on `face` with an optional body: status and answer.
async fn send(
    face: &Face,
    gw: &Gateway,
    method: &'static str,
    path: String,
    body: Option<Value>,
) -> (u16, Value) {
    face.call(gw, Call { method, path, body }).await
}

/// Delete the agent `id` through `face`; it is then gone from that face.
async fn delete(face: &Face, gw: &Gateway, id: &str) {
    let (status, answer) = send(face, gw, "DELETE", (face.kit().member)(id), None).await;
    assert!(
        status == 200 || status == 204,
        "{} delete: {status} {answer}",
        face.name()
    );
    let (status, agent) = face.get(gw, id).await;
    assert!(
        status >= 400 || agent.is_none(),
        "{}: a deleted agent answers {status}",
        face.name()
    );
}

/// The emails of every agent `face` lists, sorted.
async fn listed(face: &Face, gw: &Gateway, size: u64) -> Vec<String> {
    let mut emails: Vec<String> = face
        .list_all(gw, size)
        .await
        .iter()
        .map(|v| (face.kit().seen)(v).email)
        .collect();
    emails.sort();
    emails
}

/// The id `face` lists the agent with `email` under.
async fn id_by_email(face: &Face, gw: &Gateway, email: &str) -> String {
    let (_, list) = face.call(gw, Call::get((face.kit().find)(email))).await;
    let (agents, _) = (face.kit().listed)(&list);
    agents
        .iter()
        .find(|a| (face.kit().seen)(a).email == email)
        .and_then(|a| (face.kit().id_of)(a))
        .unwrap_or_else(|| panic!("{}: {email} not listed in {list}", face.name()))
}

/// The requests `fake` was sent with `method`.
fn sent<V: Vendor>(fake: &Fake<V>, method: &str) -> Vec<Logged> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == method)
        .collect()
}

/// A libredesk face's PUT of `p` (a whole agent) with extra fields.
fn libredesk_put(p: &Person<'_>, last: &str, extra: Value) -> Value {
    let mut body = json!({"first_name": p.first, "last_name": last, "email": p.email(),
                          "roles": ["Agent"], "enabled": true});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

/// A comm100 face's create of `p` with `password`.
fn comm100_create(p: &Person<'_>, password: &str) -> Call {
    Call::with(
        "POST",
        "/v4/global/agents",
        json!({"email": p.email(), "password": password, "displayName": format!("{} {}", p.first, p.last),
               "firstName": p.first, "lastName": p.last, "timeZone": "UTC",
               "datetimeFormat": "YYYY-MM-DD HH:mm:ss"}),
    )
}

#[tokio::test]
async fn chatwoot_holds_what_the_faces_write() {
    let fake = Fake::start(Chatwoot::new(CW_TOKEN, 3));
    let gw = gateway_over(
        "ndoto",
        fake.base(),
        &format!("{{ token = \"{CW_TOKEN}\" }}"),
        "account_id = 3",
    );
    let (ndoto, libredesk) = (faces::named("ndoto"), faces::named("libredesk"));
    let agent = |email: &str| fake.with(|cw| cw.agent(email));

    // Through the same dialect's face.
    let nia = Person {
        local: "cw.nia",
        first: "Nia",
        last: "Doto",
    };
    let nia_id = ndoto.create(&gw, &nia).await;
    let held = agent(&nia.email()).expect("Chatwoot holds the agent");
    assert_eq!(
        (
            held.name.as_str(),
            held.role.as_str(),
            held.availability.as_str()
        ),
        ("Nia Doto", "agent", "online")
    );
    assert!(!held.confirmed, "a new Chatwoot agent is unconfirmed");
    let (status, read) = ndoto.get(&gw, &nia_id).await;
    let read = read.unwrap_or_default();
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some("cw.nia@example.com"))
    );
    let (status, answer) = send(
        &ndoto,
        &gw,
        "PATCH",
        (ndoto.kit().member)(&nia_id),
        Some(json!({"name": "Nia Updated", "availability": "busy"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let held = agent(&nia.email()).expect("still held");
    assert_eq!(
        (held.name.as_str(), held.availability.as_str()),
        ("Nia Updated", "busy"),
        "Chatwoot reads `availability` (and ignores `availability_status`)"
    );

    // Through another face.
    let lee = Person {
        local: "cw.lee",
        first: "Lee",
        last: "Bre",
    };
    let lee_id = libredesk.create(&gw, &lee).await;
    assert_eq!(
        agent(&lee.email()).map(|a| a.name),
        Some("Lee Bre".to_owned())
    );
    let (status, read) = libredesk.get(&gw, &lee_id).await;
    let read = read.unwrap_or_default();
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some("cw.lee@example.com"))
    );
    let put = libredesk_put(&lee, "Updated", json!({"availability_status": "offline"}));
    let (status, answer) = send(
        &libredesk,
        &gw,
        "PUT",
        (libredesk.kit().member)(&lee_id),
        Some(put),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let held = agent(&lee.email()).expect("still held");
    assert_eq!(
        (held.name.as_str(), held.availability.as_str()),
        ("Lee Updated", "offline")
    );
    for update in sent(&fake, "PATCH").iter().chain(&sent(&fake, "PUT")) {
        let body = update.body.clone().unwrap_or_default();
        assert!(
            body.get("availability_status").is_none(),
            "Chatwoot ignores availability_status: {body}"
        );
    }

    // Both listed through both faces.
    let both = vec![lee.email(), nia.email()];
    assert_eq!(listed(&ndoto, &gw, 100).await, both);
    assert_eq!(listed(&libredesk, &gw, 100).await, both);

    // Deleted through each face: gone from Chatwoot.
    delete(&ndoto, &gw, &nia_id).await;
    delete(&libredesk, &gw, &lee_id).await;
    assert_eq!(fake.with(|cw| cw.agents()), Vec::new());
    assert!(listed(&ndoto, &gw, 100).await.is_empty());
}

#[tokio::test]
async fn rocketchat_registers_existing_users_and_pages_past_a_hundred() {
    let fake = Fake::start(RocketChat::new(RC_USER, RC_TOKEN));
    // An instance with 105 livechat agents, and two users who are not agents yet.
    fake.with(|rc| {
        for i in 0..105 {
            let username = format!("rc.seed{i:03}");
            let email = format!("{username}@example.com");
            rc.add_user(&username, &format!("Seed {i:03}"), &email);
            rc.grant(&username, "livechat-agent");
        }
        rc.add_user("rc.face", "Face Person", "rc.face@example.com");
        rc.add_user("rc.hub", "Hub Person", "rc.hub@example.com");
    });
    let gw = gateway_over(
        "livechat",
        fake.base(),
        &format!("{{ user_id = \"{RC_USER}\", token = \"{RC_TOKEN}\" }}"),
        "",
    );
    let (livechat, supporthub, ndoto) = (
        faces::named("livechat"),
        faces::named("supporthub"),
        faces::named("ndoto"),
    );
    let is_agent = |username: &str| {
        fake.with(|rc| rc.user(username))
            .is_some_and(|u| u.roles.contains("livechat-agent"))
    };

    // Through the same dialect's face: register an existing user.
    let (status, answer) = send(
        &livechat,
        &gw,
        "POST",
        "/api/v1/livechat/users/agent".into(),
        Some(json!({"username": "rc.face"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let face_id = answer["user"]["_id"].as_str().expect("an id").to_owned();
    assert!(
        is_agent("rc.face"),
        "Rocket.Chat gave rc.face the agent role"
    );
    let (status, read) = livechat.get(&gw, &face_id).await;
    let read = read.unwrap_or_default();
    assert_eq!((status, read["username"].as_str()), (200, Some("rc.face")));

    // Through another face: the username comes from the email.
    let hub = Person {
        local: "rc.hub",
        first: "Hub",
        last: "Person",
    };
    let hub_id = supporthub.create(&gw, &hub).await;
    assert!(is_agent("rc.hub"), "Rocket.Chat gave rc.hub the agent role");
    let (status, read) = supporthub.get(&gw, &hub_id).await;
    let read = read.unwrap_or_default();
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some("rc.hub@example.com"))
    );
    // Rocket.Chat only registers users it has: a stranger is the client's mistake.
    let stranger = Person {
        local: "rc.stranger",
        first: "No",
        last: "Body",
    };
    let (status, answer) = supporthub
        .call(&gw, (supporthub.kit().create)(&stranger))
        .await;
    assert!(
        (400..500).contains(&status) && supporthub.is_error(status, &answer),
        "an unknown Rocket.Chat user: {status} {answer}"
    );
    assert_eq!(fake.with(|rc| rc.user("rc.stranger")), None);

    // Updates: a promotion reaches Rocket.Chat; a name it does not hold stays in the gateway.
    let (status, answer) = send(
        &livechat,
        &gw,
        "POST",
        "/api/v1/livechat/users/manager".into(),
        Some(json!({"username": "rc.face"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        fake.with(|rc| rc.user("rc.face"))
            .is_some_and(|u| u.roles.contains("livechat-manager")),
        "rc.face is a Rocket.Chat manager"
    );
    let (status, answer) = send(
        &supporthub,
        &gw,
        "PATCH",
        (supporthub.kit().member)(&hub_id),
        Some(json!({"last_name": "Updated"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (_, read) = supporthub.get(&gw, &hub_id).await;
    assert_eq!(read.unwrap_or_default()["last_name"], "Updated");
    assert_eq!(
        fake.with(|rc| rc.user("rc.hub")).map(|u| u.name),
        Some("Hub Person".to_owned())
    );

    // 107 agents, which the client reads 100 at a time (Rocket.Chat's ceiling).
    let mut every: Vec<String> = (0..105)
        .map(|i| format!("rc.seed{i:03}@example.com"))
        .collect();
    every.extend(["rc.face@example.com".into(), hub.email()]);
    every.sort();
    assert_eq!(listed(&livechat, &gw, 50).await, every, "livechat face");
    assert_eq!(listed(&supporthub, &gw, 40).await, every, "supporthub face");
    assert_eq!(listed(&ndoto, &gw, 100).await, every, "ndoto face");
    let pages = sent(&fake, "GET");
    assert!(
        pages
            .iter()
            .any(|r| r.query.contains(&("offset".to_owned(), "100".to_owned()))),
        "the client read past the first hundred"
    );

    // Deleted through each face: no longer Rocket.Chat agents (still its users).
    delete(&livechat, &gw, &face_id).await;
    delete(&supporthub, &gw, &hub_id).await;
    assert!(!is_agent("rc.face") && !is_agent("rc.hub"));
    assert!(fake.with(|rc| rc.user("rc.face")).is_some());
    assert_eq!(fake.with(|rc| rc.agents()).len(), 105);
    assert_eq!(listed(&livechat, &gw, 100).await.len(), 105);
    // rc.face was a manager (an administrator): deleting the agent takes that role too, or
    // Rocket.Chat keeps a manager the gateway says is gone (and a later registration of the
    // same user would come back as an administrator).
    assert_eq!(
        fake.with(|rc| rc.managers()),
        Vec::new(),
        "a deleted agent is no Rocket.Chat manager either; the client sent {:#?}",
        sent(&fake, "DELETE")
    );
}

/// A gateway over a fresh fake Libredesk.
fn libredesk_gateway() -> (Fake<Libredesk>, Gateway) {
    let fake = Fake::start(Libredesk::new(LD_KEY, LD_SECRET));
    let gw = gateway_over(
        "libredesk",
        fake.base(),
        &format!("{{ key = \"{LD_KEY}\", secret = \"{LD_SECRET}\" }}"),
        "",
    );
    (fake, gw)
}

#[tokio::test]
async fn libredesk_holds_what_the_faces_write() {
    let (fake, gw) = libredesk_gateway();
    let (libredesk, comm100) = (faces::named("libredesk"), faces::named("comm100"));
    let agent = |email: &str| fake.with(|ld| ld.agent(email));

    // Through the same dialect's face.
    let ada = Person {
        local: "ld.ada",
        first: "Ada",
        last: "Desk",
    };
    let ada_id = libredesk.create(&gw, &ada).await;
    let held = agent(&ada.email()).expect("Libredesk holds the agent");
    assert_eq!(
        (
            held.first_name.as_str(),
            held.last_name.as_str(),
            held.roles.clone(),
            held.enabled
        ),
        ("Ada", "Desk", vec!["Agent".to_owned()], true)
    );
    assert!(matches!(held.password, libredesk::Password::Generated(_)));
    let (status, read) = libredesk.get(&gw, &ada_id).await;
    let read = read.unwrap_or_default();
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some("ld.ada@example.com"))
    );
    let put = libredesk_put(&ada, "Updated", json!({"availability_status": "away"}));
    let (status, answer) = send(
        &libredesk,
        &gw,
        "PUT",
        (libredesk.kit().member)(&ada_id),
        Some(put),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let held = agent(&ada.email()).expect("still held");
    assert_eq!(
        (held.last_name.as_str(), held.availability_status.as_str()),
        ("Updated", "away")
    );

    // Through another face.
    let cem = Person {
        local: "ld.cem",
        first: "Cem",
        last: "Hundred",
    };
    // Disabled at creation: Libredesk's create enables every agent, so the client PUTs it.
    let mut create = comm100_create(&cem, "Str0ng-Passw0rd!");
    if let Some(body) = create.body.as_mut() {
        body["isActive"] = json!(false);
    }
    let (status, answer) = comm100.call(&gw, create).await;
    assert_eq!(status, 201, "{answer}");
    let cem_id = answer["id"].as_str().expect("a GUID").to_owned();
    assert_eq!(
        agent(&cem.email()).map(|a| (a.first_name, a.last_name, a.enabled)),
        Some(("Cem".to_owned(), "Hundred".to_owned(), false))
    );
    let (status, read) = comm100.get(&gw, &cem_id).await;
    let read = read.unwrap_or_default();
    assert_eq!(
        (status, read["email"].as_str()),
        (200, Some("ld.cem@example.com"))
    );
    let (status, answer) = comm100
        .call(&gw, (comm100.kit().update)(&cem_id, &cem))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        agent(&cem.email()).map(|a| a.last_name),
        Some("Updated".to_owned())
    );

    // Both listed through both faces.
    let both = vec![ada.email(), cem.email()];
    assert_eq!(listed(&libredesk, &gw, 100).await, both);
    assert_eq!(listed(&comm100, &gw, 100).await, both);

    // Deleted through each face: soft-deleted in Libredesk, gone from every list.
    delete(&libredesk, &gw, &ada_id).await;
    delete(&comm100, &gw, &cem_id).await;
    let deleted: Vec<bool> = fake
        .with(|ld| ld.agents())
        .iter()
        .map(|a| a.deleted)
        .collect();
    assert_eq!(deleted, vec![true, true]);
    assert!(listed(&libredesk, &gw, 100).await.is_empty());
    assert!(listed(&comm100, &gw, 100).await.is_empty());
}

#[tokio::test]
async fn libredesk_password_changes_are_its_new_password() {
    let (fake, gw) = libredesk_gateway();
    let (libredesk, comm100, supporthub) = (
        faces::named("libredesk"),
        faces::named("comm100"),
        faces::named("supporthub"),
    );
    let password = |email: &str| fake.with(|ld| ld.agent(email)).map(|a| a.password);
    let set = |p: &str| Some(libredesk::Password::Set(p.to_owned()));
    let pat = Person {
        local: "ld.pat",
        first: "Pat",
        last: "Word",
    };
    // Created through libredesk's face (no password); its comm100 GUID and supporthub id.
    libredesk.create(&gw, &pat).await;
    let guid = id_by_email(&comm100, &gw, &pat.email()).await;
    let sh_id = id_by_email(&supporthub, &gw, &pat.email()).await;

    let change = format!("/v4/global/agents/{guid}:changePassword");
    let (status, answer) = send(
        &comm100,
        &gw,
        "POST",
        change.clone(),
        Some(json!({"password": "Ch4nged-Passw0rd"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(password(&pat.email()), set("Ch4nged-Passw0rd"));
    // Too weak for Libredesk: the client's mistake, not the gateway's; nothing changes.
    for weak in ["weak-password", "Sh0rt!"] {
        let (status, answer) = send(
            &comm100,
            &gw,
            "POST",
            change.clone(),
            Some(json!({"password": weak})),
        )
        .await;
        assert!(
            (400..500).contains(&status) && comm100.is_error(status, &answer),
            "{weak}: {status} {answer}"
        );
    }
    assert_eq!(password(&pat.email()), set("Ch4nged-Passw0rd"));

    let (status, answer) = send(
        &supporthub,
        &gw,
        "PATCH",
        (supporthub.kit().member)(&sh_id),
        Some(
            json!({"new_password": "Hub-Passw0rd!", "new_password_confirmation": "Hub-Passw0rd!"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(password(&pat.email()), set("Hub-Passw0rd!"));
    let (status, answer) = send(
        &supporthub,
        &gw,
        "PATCH",
        (supporthub.kit().member)(&sh_id),
        Some(json!({"new_password": "weakling", "new_password_confirmation": "weakling"})),
    )
    .await;
    assert!(
        (400..500).contains(&status) && supporthub.is_error(status, &answer),
        "weakling: {status} {answer}"
    );
    assert_eq!(password(&pat.email()), set("Hub-Passw0rd!"));
}

#[tokio::test]
async fn libredesk_create_with_a_password_sets_it_after_the_post() {
    let (fake, gw) = libredesk_gateway();
    let (comm100, supporthub) = (faces::named("comm100"), faces::named("supporthub"));
    let held = |email: &str| fake.with(|ld| ld.agent(email));

    // Libredesk's create ignores a password: the client must PUT it as `new_password`.
    let kim = Person {
        local: "ld.kim",
        first: "Kim",
        last: "Key",
    };
    let (status, answer) = comm100
        .call(&gw, comm100_create(&kim, "Cre4ted-Passw0rd"))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        held(&kim.email()).map(|a| a.password),
        Some(libredesk::Password::Set("Cre4ted-Passw0rd".into())),
        "the password given at create is the Libredesk agent's; the client sent: {:#?}",
        fake.requests()
    );

    // A password Libredesk refuses is a 4xx at the face, and leaves no agent behind.
    let lou = Person {
        local: "ld.lou",
        first: "Lou",
        last: "Weak",
    };
    let weak = Call::with(
        "POST",
        "/api/agents",
        json!({"first_name": lou.first, "last_name": lou.last, "email": lou.email(),
               "password": "weak-secret", "password_confirmation": "weak-secret"}),
    );
    let (status, answer) = supporthub.call(&gw, weak).await;
    assert!(
        (400..500).contains(&status) && supporthub.is_error(status, &answer),
        "a weak password at create: {status} {answer}"
    );
    assert!(
        held(&lou.email()).is_none_or(|a| a.deleted),
        "a refused create leaves no Libredesk agent: {:?}",
        held(&lou.email())
    );
}
