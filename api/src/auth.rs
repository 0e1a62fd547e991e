//! Who is asking. For now one bootstrap administrator token; staff accounts with unit
//! scopes come later and will replace `StaffAuth` behind the same guard.

use async_graphql::Context;
use palaute_core::token::{constant_time_eq, sha256_hex};

use crate::errors::{Code, coded};

/// Checks bearer tokens against the administrator token (compared as hashes, in
/// constant time).
#[derive(Clone)]
pub struct StaffAuth {
    admin_token_hash: Option<String>,
}

impl StaffAuth {
    pub fn new(admin_token: Option<&str>) -> Self {
        Self {
            admin_token_hash: admin_token
                .filter(|token| !token.is_empty())
                .map(|token| sha256_hex(token.as_bytes())),
        }
    }

    pub(crate) fn authenticate(&self, authorization: Option<&str>) -> Caller {
        let Some(header) = authorization else {
            return Caller::Anonymous;
        };
        let Some(presented) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        else {
            return Caller::Rejected;
        };
        match &self.admin_token_hash {
            Some(expected)
                if constant_time_eq(expected, &sha256_hex(presented.trim().as_bytes())) =>
            {
                Caller::Admin
            }
            _ => Caller::Rejected,
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Anonymous,
    /// Sent credentials that are not valid.
    Rejected,
    Admin,
}

/// Fails unless the request carries valid staff credentials.
pub(crate) fn require_staff(ctx: &Context<'_>) -> async_graphql::Result<()> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Admin) => Ok(()),
        Some(Caller::Rejected) => Err(coded(
            Code::Unauthenticated,
            "the bearer token is not valid",
        )),
        _ => Err(coded(
            Code::Unauthenticated,
            "staff queries need an Authorization: Bearer token",
        )),
    }
}
