//! Mail that must never become a case: auto-replies, bounces and delivery reports,
//! read receipts, complaint reports.

/// Why a message is noise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noise {
    /// An automatic answer (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `Precedence`,
    /// an out-of-office subject in Finnish, Swedish or English). The string says which sign.
    AutoReply(String),
    /// A non-delivery report (RFC 3464 or a vendor format).
    Bounce(Bounce),
    /// A delivery report that is not a failure (delayed, relayed, delivered).
    DeliveryReport,
    /// A read receipt (RFC 8098).
    ReadReceipt,
    /// An abuse or complaint report (ARF, RFC 5965).
    Complaint { complained_about: Option<String> },
}

/// What a bounce says went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    /// The recipients that failed, lowercased.
    pub failed_recipients: Vec<String>,
    /// The `Message-ID` (without brackets) of our email that bounced, when the report carries it.
    pub original_message_id: Option<String>,
    /// A permanent failure (5.x.x) rather than a temporary one (4.x.x).
    pub permanent: bool,
}

impl Noise {
    /// A short name for counting and listing: `auto_reply`, `bounce`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Noise::AutoReply(_) => "auto_reply",
            Noise::Bounce(_) => "bounce",
            Noise::DeliveryReport => "delivery_report",
            Noise::ReadReceipt => "read_receipt",
            Noise::Complaint { .. } => "complaint",
        }
    }
}
