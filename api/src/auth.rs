//! Who is asking: nobody, a staff member with an API token (or the bootstrap
//! administrator token), or someone whose credentials are wrong. Every staff field
//! asks here, and gets the member whose role and scope it must respect.

use async_graphql::Context;
use palaute_core::token::{api_token_hash, constant_time_eq};
use palaute_core::{StaffMember, StaffRole};
use palaute_store::Store;

use crate::errors::{Code, coded};

/// Checks bearer tokens: the administrator token (compared as hashes, in constant
/// time), then staff API tokens by their hash in the store. No cache: a revoked token
/// or a disabled account fails on its next request.
#[derive(Clone)]
pub struct StaffAuth {
    admin_token_hash: Option<String>,
    store: Store,
}

impl StaffAuth {
    pub fn new(admin_token: Option<&str>, store: Store) -> Self {
        Self {
            admin_token_hash: admin_token
                .filter(|token| !token.is_empty())
                .map(api_token_hash),
            store,
        }
    }

    pub(crate) async fn authenticate(&self, authorization: Option<&str>) -> Caller {
        let Some(header) = authorization else {
            return Caller::Anonymous;
        };
        let Some(presented) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        else {
            return Caller::Rejected;
        };
        let presented_hash = api_token_hash(presented);
        if let Some(expected) = &self.admin_token_hash
            && constant_time_eq(expected, &presented_hash)
        {
            return Caller::Staff(StaffMember::bootstrap_admin());
        }
        match self
            .store
            .staff_by_token_hash(&presented_hash, palaute_store::now())
            .await
        {
            Ok(Some(member)) => Caller::Staff(member),
            Ok(None) => Caller::Rejected,
            Err(error) => {
                tracing::error!(%error, "could not check a staff token");
                Caller::Unverified
            }
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    Anonymous,
    /// Sent credentials that are not valid (unknown, revoked or expired token, or a
    /// disabled account).
    Rejected,
    /// Sent a token that could not be checked (the database did not answer).
    Unverified,
    Staff(StaffMember),
}

impl Caller {
    pub(crate) fn staff(&self) -> Option<&StaffMember> {
        match self {
            Caller::Staff(member) => Some(member),
            Caller::Anonymous | Caller::Rejected | Caller::Unverified => None,
        }
    }
}

/// The staff member making the request, or UNAUTHENTICATED.
pub(crate) fn require_staff<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a StaffMember> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Staff(member)) => Ok(member),
        Some(Caller::Rejected) => Err(coded(
            Code::Unauthenticated,
            "the bearer token is not valid (unknown, revoked or expired, or its account is disabled)",
        )),
        Some(Caller::Unverified) => Err(coded(
            Code::Internal,
            "the bearer token could not be checked; try again",
        )),
        Some(Caller::Anonymous) | None => Err(coded(
            Code::Unauthenticated,
            "staff queries need an Authorization: Bearer token",
        )),
    }
}

/// The staff member making the request if their role is one of `roles`; FORBIDDEN for
/// other staff.
pub(crate) fn require_role<'a>(
    ctx: &Context<'a>,
    roles: &[StaffRole],
) -> async_graphql::Result<&'a StaffMember> {
    let member = require_staff(ctx)?;
    if roles.contains(&member.role) {
        return Ok(member);
    }
    let allowed: Vec<&str> = roles.iter().map(|role| role.code()).collect();
    Err(coded(
        Code::Forbidden,
        format!(
            "this needs the role {}; yours is {}",
            allowed.join(" or "),
            member.role
        ),
    ))
}
