//! `inboundMail` and `inboundMailCounts`: what the email door took and what became of
//! it (noise included: auto-replies, bounces, unusable mail), for administrators. The
//! same records `palaute mail list|show|counts` prints; this maps them to GraphQL.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use palaute_core::{CaseId, StaffRole};
use palaute_store::{CaseRecord, InboundMailRecord, MailCount, Store};

use crate::auth::require_role;
use crate::errors::{bad_input, from_store};
use crate::schema::Limits;
use crate::types::CaseView;

const DEFAULT_PAGE_SIZE: i32 = 50;

/// What became of an inbound email.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_store::MailDisposition")]
pub enum MailDisposition {
    /// It became a new case.
    NewCase,
    /// The case's resident wrote on their case.
    ResidentMessage,
    /// A handler answered the resident by email.
    StaffReply,
    /// Someone else named the case: added to it for staff only.
    InternalNote,
    /// Noise (auto-reply, bounce, read receipt, complaint) or unusable: kept, not acted
    /// on; `reason` says which.
    SetAside,
}

#[derive(Default)]
pub struct InboundMailQuery;

type InboundMailConnection =
    Connection<String, InboundMailView, InboundMailConnectionFields, EmptyFields>;

#[Object]
impl InboundMailQuery {
    /// Inbound emails, newest first, as a Relay connection: those with `disposition`,
    /// or all of them. `first` is at most the configured page size (larger asks get
    /// that many); `after` is an edge's cursor. Administrators only.
    async fn inbound_mail(
        &self,
        ctx: &Context<'_>,
        disposition: Option<MailDisposition>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<InboundMailConnection> {
        require_role(ctx, &[StaffRole::Admin])?;
        let first = page_size(ctx, first)?;
        let before_id = after
            .map(|cursor| {
                cursor
                    .parse::<i64>()
                    .map_err(|_| bad_input("after", "not a cursor from this connection"))
            })
            .transpose()?;
        let store = ctx.data_unchecked::<Store>();
        let mut mails = store
            .inbound_mail(
                disposition.map(Into::into),
                before_id,
                first.saturating_add(1),
            )
            .await
            .map_err(|error| from_store("listing inbound email", error))?;
        let has_next = u64::try_from(mails.len()).is_ok_and(|len| len > first);
        mails.truncate(usize::try_from(first).unwrap_or(usize::MAX));

        // The cases the page names, in one query.
        let mut case_ids: Vec<CaseId> = mails.iter().filter_map(|mail| mail.case_id).collect();
        case_ids.sort_by_key(|id| id.0);
        case_ids.dedup();
        let cases: HashMap<i64, CaseRecord> = store
            .cases_by_ids(&case_ids)
            .await
            .map_err(|error| from_store("loading the cases of inbound email", error))?
            .into_iter()
            .map(|case| (case.id.0, case))
            .collect();

        let mut connection = Connection::with_additional_fields(
            before_id.is_some(),
            has_next,
            InboundMailConnectionFields { disposition },
        );
        connection.edges.extend(mails.into_iter().map(|mail| {
            let case = mail
                .case_id
                .and_then(|id| cases.get(&id.0).cloned())
                .map(CaseView);
            Edge::new(mail.id.to_string(), InboundMailView { mail, case })
        }));
        Ok(connection)
    }

    /// How many inbound emails are kept, and how many ended each way. Administrators
    /// only.
    async fn inbound_mail_counts(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<InboundMailCounts> {
        require_role(ctx, &[StaffRole::Admin])?;
        let counts = ctx
            .data_unchecked::<Store>()
            .inbound_mail_counts()
            .await
            .map_err(|error| from_store("counting inbound email", error))?;
        Ok(InboundMailCounts {
            total: counts.iter().map(|count| count.count).sum(),
            by_outcome: counts.into_iter().map(MailOutcomeCount::from).collect(),
        })
    }
}

/// `first` as the page size: 1 or more, at most the configured maximum.
fn page_size(ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<u64> {
    let max = ctx.data_unchecked::<Limits>().max_page_size;
    match u64::try_from(first.unwrap_or(DEFAULT_PAGE_SIZE)) {
        Ok(first) if first >= 1 => Ok(first.min(max)),
        _ => Err(bad_input("first", "first must be 1 or more")),
    }
}

/// Extra fields of the `inboundMail` connection.
pub struct InboundMailConnectionFields {
    disposition: Option<MailDisposition>,
}

#[Object]
impl InboundMailConnectionFields {
    /// How many inbound emails the filter matches, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let store = ctx.data_unchecked::<Store>();
        let Some(disposition) = self.disposition else {
            return store
                .inbound_mail_total()
                .await
                .map_err(|error| from_store("counting inbound email", error));
        };
        let wanted = palaute_store::MailDisposition::from(disposition);
        let counts = store
            .inbound_mail_counts()
            .await
            .map_err(|error| from_store("counting inbound email", error))?;
        Ok(counts
            .iter()
            .filter(|count| count.disposition == wanted)
            .map(|count| count.count)
            .sum())
    }
}

/// An inbound email as the door kept it.
pub struct InboundMailView {
    mail: InboundMailRecord,
    case: Option<CaseView>,
}

#[Object(name = "InboundMail")]
impl InboundMailView {
    async fn id(&self) -> i64 {
        self.mail.id
    }

    /// The Message-ID, or `sha256:<hex>` of the message when it has none: a message
    /// is taken once per key.
    async fn message_key(&self) -> &str {
        &self.mail.message_key
    }

    /// How it came in: `webhook`, `imap` or `cli`.
    async fn source(&self) -> &str {
        &self.mail.source
    }

    /// The sender's address, when the message named one.
    async fn from_address(&self) -> Option<&str> {
        self.mail.from_address.as_deref()
    }

    /// The decoded subject.
    async fn subject(&self) -> &str {
        &self.mail.subject
    }

    async fn disposition(&self) -> MailDisposition {
        self.mail.disposition.into()
    }

    /// Why: for SET_ASIDE, e.g. `auto_reply`, `bounce`, `unreadable`,
    /// `not_addressed_to_us`, `case_not_found`; for INTERNAL_NOTE, why it was not
    /// acted on; otherwise null.
    async fn reason(&self) -> Option<&str> {
        self.mail.reason.as_deref()
    }

    /// The case it made or landed on (for a bounce, the case of the email that
    /// bounced), if any.
    async fn case(&self) -> Option<&CaseView> {
        self.case.as_ref()
    }

    /// The message's size in bytes, as received.
    async fn size(&self) -> u64 {
        u64::try_from(self.mail.size).unwrap_or(u64::MAX)
    }

    async fn received_at(&self) -> DateTime<Utc> {
        self.mail.received_at
    }

    /// The message as received (headers and body, undecoded), read as UTF-8 with
    /// invalid bytes replaced by U+FFFD. Loaded only when asked for: a message may be
    /// megabytes.
    async fn raw(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let raw = ctx
            .data_unchecked::<Store>()
            .inbound_mail_raw(self.mail.id)
            .await
            .map_err(|error| from_store("loading an inbound email", error))?;
        Ok(raw.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// How many inbound emails are kept, and how many ended each way.
#[derive(SimpleObject)]
pub struct InboundMailCounts {
    pub total: u64,
    /// One row per disposition and reason, by disposition then reason.
    pub by_outcome: Vec<MailOutcomeCount>,
}

/// How many inbound emails ended one way.
#[derive(SimpleObject)]
pub struct MailOutcomeCount {
    pub disposition: MailDisposition,
    /// The reason they share (see `InboundMail.reason`); null when none was given.
    pub reason: Option<String>,
    pub count: u64,
}

impl From<MailCount> for MailOutcomeCount {
    fn from(count: MailCount) -> Self {
        Self {
            disposition: count.disposition.into(),
            reason: count.reason,
            count: count.count,
        }
    }
}
