//! The SCIM face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes.

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// A list of Users (RFC 7644 §3.4.2).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct UserList {
    schemas: Vec<String>,
    total_results: u64,
    start_index: u64,
    items_per_page: u64,
    #[serde(rename = "Resources")]
    resources: Vec<wire::User>,
}

/// A list of Groups.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct GroupList {
    schemas: Vec<String>,
    total_results: u64,
    start_index: u64,
    items_per_page: u64,
    #[serde(rename = "Resources")]
    resources: Vec<wire::Group>,
}

/// A discovery document (RFC 7644 §4), or a list of them.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct Discovery(serde_json::Value);

macro_rules! documented {
    ($name:ident, @id, $method:ident, $path:literal, $doc:literal, $body:ty, $ok:literal, $answer:ty) => {
        #[doc = $doc]
        #[utoipa::path($method, path = $path,
            params(("id" = String, Path, description = "the resource's id (a User's: the agent's GUID; a Group's: the team's)")),
            request_body = $body,
            responses((status = $ok, description = "the answer", body = $answer),
                      (status = "default", description = "a SCIM Error", body = wire::ErrorBody)),
            security(("bearer" = [])))]
        #[allow(dead_code)]
        fn $name() {}
    };
    ($name:ident, @id, $method:ident, $path:literal, $doc:literal, $ok:literal, $answer:ty) => {
        #[doc = $doc]
        #[utoipa::path($method, path = $path,
            params(("id" = String, Path, description = "the resource's id (a User's: the agent's GUID; a Group's: the team's; a schema's URN; a resource type's name)")),
            responses((status = $ok, description = "the answer", body = $answer),
                      (status = "default", description = "a SCIM Error", body = wire::ErrorBody)),
            security(("bearer" = [])))]
        #[allow(dead_code)]
        fn $name() {}
    };
    ($name:ident, $method:ident, $path:literal, $doc:literal, $body:ty, $ok:literal, $answer:ty) => {
        #[doc = $doc]
        #[utoipa::path($method, path = $path,
            request_body = $body,
            responses((status = $ok, description = "the answer", body = $answer),
                      (status = "default", description = "a SCIM Error", body = wire::ErrorBody)),
            security(("bearer" = [])))]
        #[allow(dead_code)]
        fn $name() {}
    };
    ($name:ident, $method:ident, $path:literal, $doc:literal, $ok:literal, $answer:ty) => {
        #[doc = $doc]
        #[utoipa::path($method, path = $path,
            responses((status = $ok, description = "the answer", body = $answer),
                      (status = "default", description = "a SCIM Error", body = wire::ErrorBody)),
            security(("bearer" = [])))]
        #[allow(dead_code)]
        fn $name() {}
    };
}

documented!(
    spc,
    get,
    "/v2/ServiceProviderConfig",
    "What this service provider supports.",
    200,
    Discovery
);
documented!(
    types,
    get,
    "/v2/ResourceTypes",
    "User and Group.",
    200,
    Discovery
);
documented!(
    one_type,
    @id,
    get,
    "/v2/ResourceTypes/{id}",
    "One resource type.",
    200,
    Discovery
);
documented!(
    schemas,
    get,
    "/v2/Schemas",
    "The User, Group and enterprise User schemas, as kept.",
    200,
    Discovery
);
documented!(
    one_schema,
    @id,
    get,
    "/v2/Schemas/{id}",
    "One schema, by its URN.",
    200,
    Discovery
);
documented!(
    list_users,
    get,
    "/v2/Users",
    "Users (`filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`).",
    200,
    UserList
);
documented!(
    create_user,
    post,
    "/v2/Users",
    "Create a User (an agent); 409 `uniqueness` for a taken userName or email.",
    wire::User,
    201,
    wire::User
);
documented!(
    search_users,
    post,
    "/v2/Users/.search",
    "Users, the query in the body.",
    wire::SearchRequest,
    200,
    UserList
);
documented!(
    get_user,
    @id,
    get,
    "/v2/Users/{id}",
    "One User.",
    200,
    wire::User
);
documented!(
    put_user,
    @id,
    put,
    "/v2/Users/{id}",
    "Replace a User's attributes.",
    wire::User,
    200,
    wire::User
);
documented!(
    patch_user,
    @id,
    patch,
    "/v2/Users/{id}",
    "Change a User (add, remove, replace).",
    wire::PatchRequest,
    200,
    wire::User
);
documented!(
    delete_user,
    @id,
    delete,
    "/v2/Users/{id}",
    "Delete a User.",
    204,
    wire::ErrorBody
);
documented!(
    list_groups,
    get,
    "/v2/Groups",
    "Groups: the tenant's teams.",
    200,
    GroupList
);
documented!(
    create_group,
    post,
    "/v2/Groups",
    "Create a Group (a team), with its members.",
    wire::Group,
    201,
    wire::Group
);
documented!(
    search_groups,
    post,
    "/v2/Groups/.search",
    "Groups, the query in the body.",
    wire::SearchRequest,
    200,
    GroupList
);
documented!(
    get_group,
    @id,
    get,
    "/v2/Groups/{id}",
    "One Group.",
    200,
    wire::Group
);
documented!(
    put_group,
    @id,
    put,
    "/v2/Groups/{id}",
    "Replace a Group's name and members.",
    wire::Group,
    200,
    wire::Group
);
documented!(
    patch_group,
    @id,
    patch,
    "/v2/Groups/{id}",
    "Change a Group (its members, its name).",
    wire::PatchRequest,
    200,
    wire::Group
);
documented!(
    delete_group,
    @id,
    delete,
    "/v2/Groups/{id}",
    "Delete a Group (the team is nobody's any more).",
    204,
    wire::ErrorBody
);

#[derive(OpenApi)]
#[openapi(
    paths(
        spc,
        types,
        one_type,
        schemas,
        one_schema,
        list_users,
        create_user,
        search_users,
        get_user,
        put_user,
        patch_user,
        delete_user,
        list_groups,
        create_group,
        search_groups,
        get_group,
        put_group,
        patch_group,
        delete_group
    ),
    components(schemas(
        wire::ErrorBody,
        wire::User,
        wire::Group,
        wire::PatchRequest,
        wire::SearchRequest
    ))
)]
struct Doc;

/// The SCIM face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "SCIM 2.0 (RFC 7643, RFC 7644) for identity providers, served by agentgw: Users are the tenant's agents, Groups its teams. Answers are `application/scim+json`; errors are SCIM Error bodies.",
        [(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )],
    )
}
