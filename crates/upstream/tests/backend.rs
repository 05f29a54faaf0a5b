//! The upstream machinery against an in-memory remote: the id map joins, shadow fields merged
//! back, read-modify-write updates, create defaults, and refusals before any remote write.

use std::collections::BTreeMap;
use std::sync::Mutex;

use agentgw_core::{
    Backend, FilterSupport, PasswordPolicy, Remote, RemoteAgent, RemotePage, RemoteProfile,
};
use agentgw_model::{
    AgentId, Field, ListQuery, NewAgent, Password, Profile, ProfilePatch, Role, SortOrder, Window,
};
use agentgw_store::Store;
use async_trait::async_trait;

use std::sync::Arc;

use agentgw_core::{BackendError, UpstreamDefaults};
use agentgw_upstream::UpstreamBackend;

/// A remote that holds email, names and role, keeps agents in a map, and records every
/// update it is asked for (current, desired).
#[derive(Default)]
struct Fake {
    agents: Mutex<BTreeMap<String, Profile>>,
    updates: Mutex<Vec<(Profile, Profile)>>,
    next: Mutex<u32>,
}

const HELD: &[Field] = &[
    Field::Email,
    Field::FirstName,
    Field::LastName,
    Field::DisplayName,
    Field::Role,
];

fn held_only(p: &Profile) -> Profile {
    let mut out = Profile::default();
    for f in HELD {
        f.copy(p, &mut out);
    }
    out
}

impl Fake {
    fn seed(&self, id: &str, email: &str) {
        let p = Profile {
            email: email.into(),
            first_name: "Seed".into(),
            display_name: "Seed".into(),
            ..Profile::default()
        };
        self.agents.lock().map(|mut a| a.insert(id.into(), p)).ok();
    }

    fn remote(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        let agents = self
            .agents
            .lock()
            .map_err(|_| BackendError::Internal("lock".into()))?;
        let profile = agents.get(id).cloned().ok_or(BackendError::NotFound)?;
        Ok(RemoteAgent {
            id: id.into(),
            profile,
            created_at: None,
            updated_at: None,
        })
    }
}

/// A helpdesk that holds `HELD`, needs a last name and a password, and parks (no disabled state).
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HELD,
    created_with: HELD,
    requires: &[Field::LastName],
    requires_password: true,
    order: SortOrder::CREATED,
    pages: false,
    filters: FilterSupport::NONE,
    can_disable: false,
};

#[async_trait]
impl Remote for Fake {
    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
    }
    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let ids: Vec<String> = self
            .agents
            .lock()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        let items = ids
            .iter()
            .map(|id| self.remote(id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RemotePage {
            total: items.len() as u64,
            items,
        })
    }
    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        self.remote(id)
    }
    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let id = {
            let mut next = self
                .next
                .lock()
                .map_err(|_| BackendError::Internal("lock".into()))?;
            *next += 1;
            format!("n{next}")
        };
        self.agents
            .lock()
            .map(|mut a| a.insert(id.clone(), held_only(&new.profile)))
            .ok();
        self.remote(&id)
    }
    async fn update(
        &self,
        id: &str,
        current: &Profile,
        desired: &Profile,
        _password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        self.updates
            .lock()
            .map(|mut u| u.push((current.clone(), desired.clone())))
            .ok();
        self.agents
            .lock()
            .map(|mut a| a.insert(id.into(), held_only(desired)))
            .ok();
        self.remote(id)
    }
    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        match self.agents.lock().map(|mut a| a.remove(id)) {
            Ok(Some(_)) => Ok(()),
            _ => Err(BackendError::NotFound),
        }
    }
}

async fn backend(defaults: UpstreamDefaults) -> (UpstreamBackend, Arc<Fake>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(&format!("sqlite://{}/u.db", dir.path().display()))
        .await
        .expect("store");
    let fake = Arc::new(Fake::default());
    let up = UpstreamBackend::new(
        "fake",
        "fake",
        fake.clone(),
        Arc::new(store.id_map("fake")),
        defaults,
    );
    (up, fake, dir)
}

fn new(email: &str, title: Option<&str>) -> NewAgent {
    NewAgent {
        profile: Profile {
            email: email.into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            display_name: "Ada Lovelace".into(),
            title: title.map(str::to_owned),
            ..Profile::default()
        },
        password: Some(Password::new("s3cret-pass")),
    }
}

#[tokio::test]
async fn native_ids_are_mapped_once_and_resolve_back() {
    let (up, fake, _dir) = backend(UpstreamDefaults::default()).await;
    fake.seed("n-a", "a@example.com");
    fake.seed("n-b", "b@example.com");
    let first = up.list(&ListQuery::default()).await.expect("list");
    let again = up.list(&ListQuery::default()).await.expect("list");
    let ids = |p: &agentgw_model::Page| p.items.iter().map(|a| a.ids.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&again), "stable gateway ids");
    let b = first
        .items
        .iter()
        .find(|a| a.profile.email == "b@example.com")
        .expect("b");
    for id in [
        AgentId::Int(b.ids.int),
        AgentId::Guid(b.ids.guid),
        AgentId::Short(b.ids.short.clone()),
    ] {
        assert_eq!(
            up.get(&id).await.expect("get").profile.email,
            "b@example.com"
        );
    }
    // Gone upstream: not found, and its gateway id is retired, never handed out again.
    fake.agents.lock().map(|mut a| a.remove("n-b")).ok();
    assert!(matches!(
        up.get(&AgentId::Int(b.ids.int)).await,
        Err(BackendError::NotFound)
    ));
    fake.seed("n-b", "b@example.com");
    let back = up.list(&ListQuery::default()).await.expect("list");
    let b2 = back
        .items
        .iter()
        .find(|a| a.profile.email == "b@example.com")
        .expect("b again");
    assert_ne!(b2.ids.int, b.ids.int);
}

#[tokio::test]
async fn fields_the_remote_cannot_hold_are_kept_and_merged_back() {
    let (up, fake, _dir) = backend(UpstreamDefaults::default()).await;
    let created = up
        .create(new("shadow@example.com", Some("Lead")))
        .await
        .expect("create");
    assert_eq!(created.profile.title.as_deref(), Some("Lead"));
    let native = fake
        .agents
        .lock()
        .map(|a| a.values().next().cloned())
        .ok()
        .flatten()
        .expect("remote");
    assert_eq!(native.title, None, "the remote never held it");
    let read = up.get(&AgentId::Int(created.ids.int)).await.expect("get");
    assert_eq!(
        read.profile.title.as_deref(),
        Some("Lead"),
        "merged from the shadow"
    );
    // What the remote holds comes from the remote, even when it changed there.
    fake.agents
        .lock()
        .map(|mut a| a.values_mut().for_each(|p| p.first_name = "Augusta".into()))
        .ok();
    let read = up.get(&AgentId::Int(created.ids.int)).await.expect("get");
    assert_eq!(
        (
            read.profile.first_name.as_str(),
            read.profile.title.as_deref()
        ),
        ("Augusta", Some("Lead"))
    );
}

#[tokio::test]
async fn a_partial_update_is_a_read_modify_write_of_the_whole_agent() {
    let (up, fake, _dir) = backend(UpstreamDefaults::default()).await;
    let created = up
        .create(new("rmw@example.com", Some("Lead")))
        .await
        .expect("create");
    let patch = ProfilePatch {
        role: Some(Role::Administrator),
        title: Some(Some("Head".into())),
        ..ProfilePatch::default()
    };
    let updated = up
        .update(&AgentId::Int(created.ids.int), patch)
        .await
        .expect("update");
    let (current, desired) = fake
        .updates
        .lock()
        .map(|u| u[0].clone())
        .expect("one update");
    assert_eq!(
        (current.role, desired.role),
        (Role::Agent, Role::Administrator)
    );
    assert_eq!(
        desired.email, "rmw@example.com",
        "untouched fields go as they were"
    );
    assert_eq!(
        current.title.as_deref(),
        Some("Lead"),
        "the current agent includes its shadow"
    );
    assert_eq!(updated.profile.title.as_deref(), Some("Head"));
    assert_eq!(updated.profile.role, Role::Administrator);
}

#[tokio::test]
async fn creates_get_defaults_or_are_refused_before_the_remote_is_written() {
    let (up, fake, _dir) = backend(UpstreamDefaults {
        last_name: Some("-".into()),
        password: PasswordPolicy::Generate,
        ..UpstreamDefaults::default()
    })
    .await;
    let mut bare = new("bare@example.com", None);
    bare.profile.last_name.clear();
    bare.password = None;
    let created = up.create(bare).await.expect("create with defaults");
    assert_eq!(created.profile.last_name, "-");
    let (strict, strict_fake, _d) = backend(UpstreamDefaults::default()).await;
    let mut bare = new("strict@example.com", None);
    bare.password = None;
    assert!(
        matches!(strict.create(bare).await, Err(BackendError::Invalid { field, .. }) if field == "password")
    );
    // A shadow field past the limits: refused, and the remote was never asked.
    let too_long = new("long@example.com", Some(&"t".repeat(300)));
    assert!(
        matches!(up.create(too_long).await, Err(BackendError::Invalid { field, .. }) if field == "title")
    );
    assert_eq!(fake.agents.lock().map(|a| a.len()).unwrap_or(0), 1);
    assert_eq!(strict_fake.agents.lock().map(|a| a.len()).unwrap_or(0), 0);
}

#[tokio::test]
async fn lists_the_remote_cannot_page_are_windowed_and_filtered_here() {
    let (up, fake, _dir) = backend(UpstreamDefaults::default()).await;
    for i in 0..7 {
        fake.seed(&format!("n{i}"), &format!("p{i}@example.com"));
    }
    let page = up
        .list(&ListQuery {
            filter: agentgw_model::Filter {
                email: Some("P".into()),
                ..Default::default()
            },
            sort: SortOrder::CREATED,
            window: Some(Window {
                offset: 2,
                limit: 3,
            }),
        })
        .await
        .expect("list");
    assert_eq!(page.total, 7);
    assert_eq!(page.items.len(), 3);
}
