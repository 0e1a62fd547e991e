//! Who is asking, by the bearer token every staff door receives: the bootstrap
//! administrator token (compared as hashes, in constant time) or a staff API token,
//! looked up by its hash on every request (no cache, so a revoked token or a disabled
//! account fails at once). Here, below the doors, so that GraphQL and the web pages
//! check tokens the same way; `api` adds city sign-in (OIDC) on top.

use palaute_core::StaffMember;
use palaute_core::token::{api_token_hash, constant_time_eq};

use crate::db::Store;
use crate::error::StoreError;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// Sent credentials that are not valid (unknown, revoked or expired token, a
    /// disabled account, or an OIDC token that failed its checks or names no role).
    Rejected,
    /// Sent a token that could not be checked (the database, or the identity
    /// provider's keys, did not answer).
    Unverified,
    Staff(StaffMember),
}

impl Caller {
    pub fn staff(&self) -> Option<&StaffMember> {
        match self {
            Caller::Staff(member) => Some(member),
            Caller::Anonymous | Caller::Rejected | Caller::Unverified => None,
        }
    }
}

/// What an `Authorization` header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// No header: an anonymous caller.
    Nothing,
    /// A header that is not `Bearer <token>`.
    Malformed,
    Bearer(&'a str),
}

impl<'a> Presented<'a> {
    pub fn from_header(authorization: Option<&'a str>) -> Self {
        let Some(header) = authorization else {
            return Presented::Nothing;
        };
        match header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        {
            Some(token) => Presented::Bearer(token),
            None => Presented::Malformed,
        }
    }
}

/// Checks the administrator token and staff API tokens.
#[derive(Clone)]
pub struct StaffTokens {
    admin_token_hash: Option<String>,
    store: Store,
}

impl StaffTokens {
    pub fn new(admin_token: Option<&str>, store: Store) -> Self {
        Self {
            admin_token_hash: admin_token
                .filter(|token| !token.is_empty())
                .map(api_token_hash),
            store,
        }
    }

    /// The bootstrap administrator, when `presented` is the administrator token.
    pub fn administrator(&self, presented: &str) -> Option<StaffMember> {
        let expected = self.admin_token_hash.as_deref()?;
        constant_time_eq(expected, &api_token_hash(presented)).then(StaffMember::bootstrap_admin)
    }

    /// The staff member whose live API token `presented` is, if any.
    pub async fn api_token(&self, presented: &str) -> Result<Option<StaffMember>, StoreError> {
        self.store
            .staff_by_token_hash(&api_token_hash(presented), crate::now())
            .await
    }

    /// The caller behind an `Authorization` header, by the administrator token or a
    /// staff API token (a door that also takes city sign-in tokens asks `api`). An
    /// error means the token could not be checked: the caller is `Unverified`.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, StoreError> {
        let token = match Presented::from_header(authorization) {
            Presented::Nothing => return Ok(Caller::Anonymous),
            Presented::Malformed => return Ok(Caller::Rejected),
            Presented::Bearer(token) => token,
        };
        if let Some(admin) = self.administrator(token) {
            return Ok(Caller::Staff(admin));
        }
        Ok(self
            .api_token(token)
            .await?
            .map_or(Caller::Rejected, Caller::Staff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_a_bearer_token_or_malformed() {
        assert_eq!(Presented::from_header(None), Presented::Nothing);
        assert_eq!(
            Presented::from_header(Some("Bearer plt_x")),
            Presented::Bearer("plt_x")
        );
        assert_eq!(
            Presented::from_header(Some("bearer plt_x")),
            Presented::Bearer("plt_x")
        );
        assert_eq!(
            Presented::from_header(Some("Basic dXNlcjpwYXNz")),
            Presented::Malformed
        );
    }
}
