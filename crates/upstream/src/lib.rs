//! agentgw-upstream: any `Remote` (an outbound dialect client) as a `Backend`.
//!
//! Done once here for every face × upstream pair: gateway ids of every kind mapped to the
//! upstream's own (persisted in the store), fields the upstream cannot hold kept as shadow
//! fields and merged back on read, partial updates as read-modify-write, lists filtered,
//! sorted and sliced in the gateway when the upstream cannot, create defaults, and verbs the
//! upstream lacks refused rather than faked.

use std::sync::Arc;

use agentgw_core::{
    Backend, BackendError, Batches, FilterSupport, Listed, MigrationTarget, PasswordPolicy, Remote,
    RemoteAgent, TeamRegistry, UpstreamDefaults,
};
use agentgw_model::{
    Agent, AgentId, Field, Filter, FlagKind, Flags, ListQuery, NewAgent, Page, Password, Profile,
    ProfilePatch, Ranked, TimeZone, derive_username, merge_shadow,
};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};

mod idmap;
pub use idmap::{IdMapping, Mapped, NativeId, ParkedId};

/// A route's backend when its agents live in an upstream helpdesk.
pub struct UpstreamBackend {
    name: String,
    /// The upstream's dialect name: its own extensions are held upstream.
    dialect: &'static str,
    remote: Arc<dyn Remote>,
    map: Arc<dyn IdMapping>,
    defaults: UpstreamDefaults,
}

/// The fields of `profile` the gateway must keep itself: those the upstream does not hold,
/// and every other dialect's extensions.
fn shadow_of(profile: &Profile, held: &[Field], own: &str) -> Profile {
    let mut shadow = Profile::default();
    for field in Field::ALL.iter().filter(|f| !held.contains(f)) {
        field.copy(profile, &mut shadow);
    }
    shadow.extensions = profile.extensions.clone();
    shadow.extensions.remove(own);
    shadow
}

/// Whether every filter the query uses is one the remote applies itself.
fn pushable(filter: &Filter, can: FilterSupport) -> bool {
    (filter.text.is_none() || can.text)
        && ((filter.first_name.is_none() && filter.last_name.is_none()) || can.names)
        && (filter.email.is_none() || can.email)
        && (filter.username.is_none() || can.username)
        && (filter.role.is_none() || can.role)
        && (filter.availability.is_none() || can.availability)
        && ((filter.confirmed.is_none() && filter.banned.is_none()) || can.state)
        && (filter.condition.is_none() || can.condition)
        // Short ids and teams are the gateway's own, and no remote has "not offline": these
        // stay here.
        && filter.except_short_id.is_none()
        && !filter.hide_offline
        && filter.team.is_none()
}

/// The part of a filter the remote applies itself (the gateway re-checks everything after).
fn pushable_part(filter: &Filter, can: FilterSupport) -> Filter {
    Filter {
        text: filter.text.clone().filter(|_| can.text),
        first_name: filter.first_name.clone().filter(|_| can.names),
        last_name: filter.last_name.clone().filter(|_| can.names),
        email: filter.email.clone().filter(|_| can.email),
        username: filter.username.clone().filter(|_| can.username),
        role: filter.role.filter(|_| can.role),
        availability: filter.availability.filter(|_| can.availability),
        confirmed: filter.confirmed.filter(|_| can.state),
        banned: filter.banned.filter(|_| can.state),
        except_short_id: None,
        hide_offline: false,
        team: None,
        condition: filter.condition.clone().filter(|_| can.condition),
    }
}

/// A random strong password for `password = "generate"`: 24 characters, never logged.
pub fn generated_password() -> Password {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-.";
    let mut rng = rand::rng();
    // At least one of each class, so upstream complexity rules pass.
    let mut out: String = (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    out.push_str("Aa7!");
    Password::new(out)
}

impl UpstreamBackend {
    /// A backend over `remote`, named `name`, speaking `dialect`, with its id map and defaults.
    pub fn new(
        name: &str,
        dialect: &'static str,
        remote: Arc<dyn Remote>,
        map: Arc<dyn IdMapping>,
        defaults: UpstreamDefaults,
    ) -> Self {
        UpstreamBackend {
            name: name.to_owned(),
            dialect,
            remote,
            map,
            defaults,
        }
    }

    /// How the upstream's sign-in stands, for credentials that expire.
    pub fn sign_in(&self) -> Option<agentgw_core::SignInState> {
        self.remote.sign_in()
    }

    /// Whether a deactivated agent is parked: the upstream has no disabled state (ndoto,
    /// livechat), and deactivation must still mean no access there.
    fn parks(&self) -> bool {
        !self.remote.profile().can_disable
    }

    /// A parked agent, as the gateway keeps it.
    fn parked_agent(mapped: Mapped) -> Agent {
        let updated = mapped.parked.unwrap_or(mapped.first_seen);
        Agent {
            ids: mapped.ids,
            profile: mapped.shadow.unwrap_or_default(),
            created_at: mapped.first_seen,
            updated_at: updated,
        }
    }

    /// The parked agents `filter` matches (none when this upstream never parks).
    async fn parked_matching(&self, filter: &Filter) -> Result<Vec<Agent>, BackendError> {
        if !self.parks() {
            return Ok(Vec::new());
        }
        let mut agents: Vec<Agent> = self
            .map
            .parked()
            .await?
            .into_iter()
            .map(Self::parked_agent)
            .collect();
        agents.retain(|a| filter.matches(a));
        Ok(agents)
    }

    /// Deactivate a live agent of an upstream that cannot disable: removed there, kept whole
    /// here with the same gateway ids.
    async fn park(&self, native: &str, desired: &Profile) -> Result<Agent, BackendError> {
        desired.check_limits()?;
        match self.remote.delete(native).await {
            Ok(()) | Err(BackendError::NotFound) => {}
            Err(e) => return Err(e),
        }
        Ok(Self::parked_agent(self.map.park(native, desired).await?))
    }

    /// Change a parked agent: still inactive, the kept profile changes; reactivated, it is
    /// created at the upstream again and its gateway ids point there.
    async fn update_parked(
        &self,
        parked: &ParkedId,
        mapped: Mapped,
        mut patch: ProfilePatch,
    ) -> Result<Agent, BackendError> {
        let password = patch.password.take();
        let mut desired = mapped.shadow.clone().unwrap_or_default();
        patch.apply(&mut desired);
        if !desired.state.active {
            if password.is_some() {
                // The gateway keeps no password in clear, and the upstream has no agent to
                // give it to.
                return Err(self.deactivated());
            }
            desired.check_limits()?;
            let since = mapped.parked.unwrap_or_else(chrono::Utc::now);
            self.map.save_parked(parked, &desired, since).await?;
            return Ok(Self::parked_agent(Mapped {
                shadow: Some(desired),
                ..mapped
            }));
        }
        let new = self.complete(NewAgent {
            profile: desired,
            password,
        })?;
        let shadow = shadow_of(&new.profile, self.remote.profile().holds, self.dialect);
        shadow.check_limits()?;
        let created = self.remote.create(&new).await?;
        let mapped = self.map.unpark(parked, &created.id, &shadow).await?;
        Ok(self.agent(created, mapped))
    }

    fn agent(&self, remote: RemoteAgent, mapped: Mapped) -> Agent {
        let profile = match &mapped.shadow {
            Some(shadow) => merge_shadow(
                &remote.profile,
                shadow,
                self.remote.profile().holds,
                self.dialect,
            ),
            None => remote.profile,
        };
        let created = remote.created_at.unwrap_or(mapped.first_seen);
        Agent {
            ids: mapped.ids,
            profile,
            created_at: created,
            updated_at: remote.updated_at.unwrap_or(created),
        }
    }

    async fn join(&self, items: Vec<RemoteAgent>) -> Result<Vec<Agent>, BackendError> {
        let natives: Vec<String> = items.iter().map(|r| r.id.clone()).collect();
        let mapped = self.map.ensure(&natives).await?;
        Ok(items
            .into_iter()
            .zip(mapped)
            .map(|(r, m)| self.agent(r, m))
            .collect())
    }

    /// The native id and mapping of a gateway id; one that maps to nothing is not found.
    async fn resolve(&self, id: &AgentId) -> Result<(NativeId, Mapped), BackendError> {
        self.map.resolve(id).await?.ok_or(BackendError::NotFound)
    }

    /// The native id of an agent the upstream has: a parked one has none (reactivate it
    /// first).
    async fn live(&self, id: &AgentId) -> Result<String, BackendError> {
        match self.resolve(id).await? {
            (NativeId::Live(native), _) => Ok(native),
            (NativeId::Parked(_), _) => Err(self.deactivated()),
        }
    }

    fn deactivated(&self) -> BackendError {
        BackendError::Invalid {
            field: "active".into(),
            message: format!(
                "the agent is deactivated, so the upstream `{}` has no such agent: reactivate it first",
                self.name
            ),
        }
    }

    /// Read the agent from the upstream; a 404 there retires the mapping.
    /// (A parked agent has no native id to pass: it is never asked upstream, and never
    /// retired for the upstream's 404.)
    async fn fetch(&self, native: &str) -> Result<RemoteAgent, BackendError> {
        match self.remote.get(native).await {
            Err(BackendError::NotFound) => {
                self.map.retire(native).await?;
                Err(BackendError::NotFound)
            }
            other => other,
        }
    }

    fn missing(&self, field: &str, key: Option<&str>) -> BackendError {
        let hint = key
            .map(|k| format!("; set upstreams.{}.defaults.{k} to supply it", self.name))
            .unwrap_or_default();
        BackendError::Invalid {
            field: field.to_owned(),
            message: format!("the upstream `{}` requires {field}{hint}", self.name),
        }
    }

    /// Fill what the upstream requires and the face did not send, from the defaults.
    fn complete(&self, mut new: NewAgent) -> Result<NewAgent, BackendError> {
        let p = &mut new.profile;
        if p.email.trim().is_empty() {
            let username = p
                .username
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or_else(|| self.missing("email", None))?;
            let domain = self
                .defaults
                .email_domain
                .as_ref()
                .ok_or_else(|| self.missing("email", Some("email_domain")))?;
            p.email = format!("{}@{domain}", username.to_lowercase());
        }
        for field in self.remote.profile().requires {
            match field {
                Field::TimeZone if p.time_zone.is_none() => {
                    let tz = self
                        .defaults
                        .time_zone
                        .as_deref()
                        .ok_or_else(|| self.missing("time_zone", Some("time_zone")))?;
                    p.time_zone = Some(
                        TimeZone::parse(tz).map_err(|e| BackendError::Internal(e.to_string()))?,
                    );
                }
                Field::DatetimeFormat if p.datetime_format.is_none() => {
                    p.datetime_format =
                        Some(self.defaults.datetime_format.clone().ok_or_else(|| {
                            self.missing("datetime_format", Some("datetime_format"))
                        })?);
                }
                Field::Language if p.language.is_none() => {
                    p.language = Some(
                        self.defaults
                            .language
                            .clone()
                            .ok_or_else(|| self.missing("language", Some("language")))?,
                    );
                }
                Field::Username if p.username.is_none() => {
                    p.username = Some(derive_username(&p.email))
                }
                Field::DisplayName if p.display_name.trim().is_empty() => {
                    p.display_name = agentgw_model::join_name(&p.first_name, &p.last_name)
                }
                Field::FirstName if p.first_name.trim().is_empty() => {
                    return Err(self.missing("first_name", None));
                }
                Field::LastName if p.last_name.trim().is_empty() => {
                    p.last_name = self
                        .defaults
                        .last_name
                        .clone()
                        .ok_or_else(|| self.missing("last_name", Some("last_name")))?;
                }
                _ => {}
            }
        }
        if self.remote.profile().requires_password && new.password.is_none() {
            match self.defaults.password {
                PasswordPolicy::Generate => new.password = Some(generated_password()),
                PasswordPolicy::Reject => {
                    return Err(self.missing("password", Some("password (\"generate\")")));
                }
            }
        }
        Ok(new)
    }
}

/// How many batches of a scan may wait for their id-map lookups at once. `buffered(n)` pulls
/// from the upstream's page stream only while fewer than `n` of its own futures are pending,
/// and that stream reads the pages in flight only when pulled: with 2, the pages stood still
/// while two lookups ran (fan-in of 100,000 agents at 1.28–1.29× the machine's ceiling,
/// 1.20–1.24 with 8; bench scenario 7). A batch is one upstream page: at most 8 pages held.
const JOINS_AHEAD: usize = 8;

#[async_trait]
impl Backend for UpstreamBackend {
    async fn list(&self, query: &ListQuery) -> Result<agentgw_model::Page, BackendError> {
        let caps = self.remote.profile();
        let parked = self.parked_matching(&query.filter).await?;
        if parked.is_empty()
            && caps.pages
            && query.window.is_some()
            && pushable(&query.filter, caps.filters)
            && self.remote.profile().order == query.sort
        {
            let page = self.remote.list(query).await?;
            return Ok(Page {
                items: self.join(page.items).await?,
                total: page.total,
            });
        }
        // Ordered or filtered here: every agent streams by, and only those the window can
        // still need are kept (a page of a 100,000-agent upstream holds one page, not all).
        let mut ranked = Ranked::new(query.sort, query.window);
        let mut batches = self.scan(query.filter.clone());
        while let Some(batch) = batches.try_next().await? {
            batch.into_iter().for_each(|a| ranked.offer(a));
        }
        Ok(ranked.into_page())
    }

    fn scan(&self, filter: Filter) -> Batches<'_, Agent> {
        let query = ListQuery {
            filter: pushable_part(&filter, self.remote.profile().filters),
            sort: self.remote.profile().order,
            window: None,
        };
        let parked_filter = filter.clone();
        // Parked agents are no longer upstream: they come last, from the id map.
        let parked =
            futures_util::stream::once(async move { self.parked_matching(&parked_filter).await })
                .try_filter(|agents| std::future::ready(!agents.is_empty()));
        Box::pin(
            self.remote
                .scan(query)
                // The id-map lookups of batches overlap with the fetching of the next ones.
                .map(move |batch| async move { self.join(batch?).await })
                .buffered(JOINS_AHEAD)
                .map_ok(move |mut agents| {
                    agents.retain(|a| filter.matches(a));
                    agents
                })
                .chain(parked),
        )
    }

    async fn get(&self, id: &AgentId) -> Result<Agent, BackendError> {
        match self.resolve(id).await? {
            (NativeId::Live(native), mapped) => Ok(self.agent(self.fetch(&native).await?, mapped)),
            (NativeId::Parked(_), mapped) => Ok(Self::parked_agent(mapped)),
        }
    }

    async fn create(&self, new: NewAgent) -> Result<Agent, BackendError> {
        // Created inactive on an upstream that cannot disable: it must not get access there,
        // so it starts parked, and is created there (defaults filled then) when activated.
        if self.parks() && !new.profile.state.active {
            if new.password.is_some() && self.remote.profile().requires_password {
                // The upstream would need it, and nothing here keeps a password in clear.
                return Err(self.deactivated());
            }
            return Ok(Self::parked_agent(
                self.map.create_parked(&new.profile).await?,
            ));
        }
        let new = self.complete(new)?;
        // What the gateway will keep is checked before the upstream is written, so a refusal
        // changes nothing anywhere.
        let shadow = shadow_of(&new.profile, self.remote.profile().holds, self.dialect);
        shadow.check_limits()?;
        let created = self.remote.create(&new).await?;
        let mapped = self.map.ensure_one(&created.id).await?;
        self.map.save_shadow(&created.id, &shadow).await?;
        Ok(self.agent(
            created,
            Mapped {
                shadow: Some(shadow),
                ..mapped
            },
        ))
    }

    async fn update(&self, id: &AgentId, mut patch: ProfilePatch) -> Result<Agent, BackendError> {
        let (native, mapped) = match self.resolve(id).await? {
            (NativeId::Live(native), mapped) => (native, mapped),
            (NativeId::Parked(parked), mapped) => {
                return self.update_parked(&parked, mapped, patch).await;
            }
        };
        let current = self.agent(self.fetch(&native).await?, mapped.clone());
        let password = patch.password.take();
        let mut desired = current.profile.clone();
        patch.apply(&mut desired);
        // Any write that leaves an agent inactive parks it, also one made inactive before
        // parking existed (kept in its shadow while it stayed at the upstream).
        if self.parks() && !desired.state.active {
            return self.park(&native, &desired).await;
        }
        let shadow = shadow_of(&desired, self.remote.profile().holds, self.dialect);
        shadow.check_limits()?;
        let updated = self
            .remote
            .update(&native, &current.profile, &desired, password.as_ref())
            .await?;
        self.map.save_shadow(&native, &shadow).await?;
        Ok(self.agent(
            updated,
            Mapped {
                shadow: Some(shadow),
                ..mapped
            },
        ))
    }

    async fn delete(&self, id: &AgentId) -> Result<(), BackendError> {
        let native = match self.resolve(id).await? {
            (NativeId::Live(native), _) => native,
            (parked @ NativeId::Parked(_), _) => return self.map.retire(parked.as_str()).await,
        };
        match self.remote.delete(&native).await {
            Ok(()) | Err(BackendError::NotFound) => self.map.retire(&native).await,
            Err(e) => Err(e),
        }
    }

    async fn change_password(&self, id: &AgentId, password: Password) -> Result<(), BackendError> {
        let native = self.live(id).await?;
        self.remote.change_password(&native, &password).await
    }

    // Teams are the gateway's, as for a tenant of the store: kept beside the id map, so that
    // team ids (libredesk teams, comm100 departments, SCIM groups) are stable over an upstream
    // too; an upstream that holds teams holds them by name.
    fn teams(&self) -> Result<&dyn TeamRegistry, BackendError> {
        Ok(self.map.teams())
    }

    async fn unlock(&self, id: &AgentId) -> Result<(), BackendError> {
        let native = self.live(id).await?;
        self.remote.unlock(&native).await
    }

    async fn flags(&self, id: &AgentId, kind: FlagKind) -> Result<Flags, BackendError> {
        let native = self.live(id).await?;
        self.remote.flags(&native, kind).await
    }

    async fn set_flags(
        &self,
        id: &AgentId,
        kind: FlagKind,
        changes: Flags,
    ) -> Result<Flags, BackendError> {
        let native = self.live(id).await?;
        self.remote.set_flags(&native, kind, changes).await
    }
}

#[async_trait]
impl MigrationTarget for UpstreamBackend {
    fn profile(&self) -> Option<&'static agentgw_core::RemoteProfile> {
        Some(self.remote.profile())
    }

    fn prepare_create(&self, new: NewAgent) -> Result<NewAgent, BackendError> {
        self.complete(new)
    }

    async fn native_id(&self, gateway: i64) -> Result<Option<String>, BackendError> {
        self.map.native(&AgentId::Int(gateway)).await
    }

    async fn inventory(&self, assign_ids: bool) -> Result<Vec<Listed>, BackendError> {
        let query = ListQuery {
            sort: self.remote.profile().order,
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let mut listed = Vec::new();
        let mut batches = self.remote.scan(query);
        while let Some(batch) = batches.try_next().await? {
            let natives: Vec<String> = batch.iter().map(|r| r.id.clone()).collect();
            // A dry run only reads the id map: an agent seen for the first time stays unmapped.
            let known: std::collections::HashMap<String, Mapped> = if assign_ids {
                natives
                    .iter()
                    .cloned()
                    .zip(self.map.ensure(&natives).await?)
                    .collect()
            } else {
                self.map.lookup(&natives).await?
            };
            for remote in batch {
                let native = remote.id.clone();
                let (created, gateway, profile) = match known.get(&native).cloned() {
                    Some(mapped) => {
                        let agent = self.agent(remote, mapped);
                        (agent.created_at, Some(agent.ids.int), agent.profile)
                    }
                    None => (remote.created_at.unwrap_or(now), None, remote.profile),
                };
                listed.push((
                    created,
                    Listed {
                        native,
                        gateway,
                        profile,
                    },
                ));
            }
        }
        // Oldest first, as the source created them: a migration keeps their order.
        listed.sort_by_key(|(created, _)| *created);
        Ok(listed.into_iter().map(|(_, l)| l).collect())
    }
}
