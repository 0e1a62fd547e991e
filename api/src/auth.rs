//! Who is asking: nobody, a staff member with an API token, a city sign-in (OIDC)
//! token or the bootstrap administrator token, or someone whose credentials are
//! wrong. Every staff field asks here, and gets the member whose role and scope it
//! must respect.

use std::sync::Arc;

use async_graphql::Context;
use palaute_core::{StaffMember, StaffRole};
pub(crate) use palaute_store::Caller;
use palaute_store::{OidcSignIn, Presented, StaffTokens, Store, StoreError};
use tracing::{error, info, warn};

use crate::errors::{Code, coded};
use crate::oidc::{OidcError, OidcVerifier, looks_like_jwt};

/// Checks bearer tokens: the administrator token, then, when city sign-in is
/// configured, a token shaped like a JWT as an OIDC token, then staff API tokens by
/// their hash in the store. The first and last are `palaute_store::StaffTokens`, which
/// the web pages ask too. No cache: a revoked token or a disabled account fails on its
/// next request.
#[derive(Clone)]
pub struct StaffAuth {
    tokens: StaffTokens,
    /// For city sign-in's accounts.
    store: Store,
    oidc: Option<Arc<OidcVerifier>>,
}

impl StaffAuth {
    pub fn new(admin_token: Option<&str>, store: Store) -> Self {
        Self {
            tokens: StaffTokens::new(admin_token, store.clone()),
            store,
            oidc: None,
        }
    }

    /// Also accepts the identity provider's tokens (city sign-in).
    pub fn with_oidc(mut self, verifier: OidcVerifier) -> Self {
        self.oidc = Some(Arc::new(verifier));
        self
    }

    pub(crate) async fn authenticate(&self, authorization: Option<&str>) -> Caller {
        let presented = match Presented::from_header(authorization) {
            Presented::Nothing => return Caller::Anonymous,
            Presented::Malformed => return Caller::Rejected,
            Presented::Bearer(token) => token,
        };
        if let Some(admin) = self.tokens.administrator(presented) {
            return Caller::Staff(admin);
        }
        if let Some(oidc) = &self.oidc
            && looks_like_jwt(presented)
        {
            return self.sign_in(oidc, presented).await;
        }
        match self.tokens.api_token(presented).await {
            Ok(Some(member)) => Caller::Staff(member),
            Ok(None) => Caller::Rejected,
            Err(error) => {
                error!(%error, "could not check a staff token");
                Caller::Unverified
            }
        }
    }
}

impl StaffAuth {
    /// A city sign-in: the token checked by the verifier, then its identity made (or
    /// kept) an account, so the timeline and assignments name a real user. Why a
    /// token was refused is logged, never the token.
    async fn sign_in(&self, oidc: &OidcVerifier, token: &str) -> Caller {
        let identity = match oidc.verify(token).await {
            Ok(identity) => identity,
            Err(OidcError::Refused(reason)) => {
                info!(%reason, "refused an OIDC bearer token");
                return Caller::Rejected;
            }
            Err(OidcError::KeysUnavailable(error)) => {
                warn!(%error, "could not check an OIDC bearer token: the provider's keys are unavailable");
                return Caller::Unverified;
            }
        };
        match self
            .store
            .sync_oidc_user(
                &identity.email,
                identity.role,
                &identity.units,
                palaute_store::now(),
            )
            .await
        {
            Ok(OidcSignIn::Member(member)) => Caller::Staff(member),
            Ok(OidcSignIn::Disabled) => {
                info!(email = %identity.email, "refused an OIDC bearer token: the account is disabled");
                Caller::Rejected
            }
            Err(StoreError::Refused(reason)) => {
                info!(%reason, "refused an OIDC bearer token");
                Caller::Rejected
            }
            Err(error) => {
                error!(%error, email = %identity.email, "could not store a signed-in staff account");
                Caller::Unverified
            }
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
