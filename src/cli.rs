//! The command-line contract that scripts rely on.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use palaute_core::{EmailAddress, StaffRole};

#[derive(Debug, Parser)]
#[command(
    name = "palaute",
    version,
    about = "Unified feedback and case routing for a city"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every subcommand takes. Each overrides `palaute.toml` and `PALAUTE_*`.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// Folder for the SQLite file, the search index and the email outbox.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A settings file (default: ./palaute.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// sqlite://… or postgres://… (default: palaute.db in the data folder).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// smtp://host:port; without it emails are written to the outbox folder.
    #[arg(long, global = true, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// An organisation file replacing the shipped Helsinki organisation.
    #[arg(long, global = true, value_name = "FILE")]
    pub organisation: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API (and, unless disabled, the worker and the indexer).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Don't run the job worker in this process (separate `palaute worker`s do).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the job worker (several may run against one PostgreSQL database).
    Worker,
    /// Apply database migrations and load the organisation, then exit.
    Migrate,
    /// Rebuild the search index from the database (stop `serve` first).
    Reindex,
    /// Load past cases from another system: Open311 JSON (Helsinki's export: one
    /// request a line, an array, or requests one after another) or CSV with a header
    /// (columns in the README); `.bz2` or not. They keep their dates, status, category
    /// and unit, are neither routed again nor emailed, and are indexed and counted.
    /// A record imported before is skipped; a refused one is reported with its place.
    Import(ImportArgs),
    /// Measure language detection on a TSV file with `lang` and `text` columns.
    EvalLanguage {
        /// The labelled texts: a header, then one text a line.
        file: PathBuf,
        /// Print one JSON object {"accuracy", "accuracy_short", "n", "n_short"}.
        #[arg(long)]
        json: bool,
    },
    /// Train routing models on past cases and score them on others.
    EvalRouting(EvalRoutingArgs),
    /// Train a routing model on every labelled example in the database (imported
    /// history and staff decisions) and store it as a new version.
    Train(TrainArgs),
    /// List, compare, promote and retire stored routing model versions.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Staff accounts: add, list and disable them.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Staff API tokens: create (shown once), list and revoke them.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Open311 API keys: create (shown once), list and revoke them.
    #[command(name = "apikey")]
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Service figures (volume, times to route, reply and resolve, routing
    /// corrections) for the cases created in a range, as CSV or JSON.
    Stats(StatsArgs),
    /// Take one raw email (RFC 5322) from FILE or `-` (standard input), as an MTA pipe
    /// does: it becomes a case, joins one, or is set aside as noise. Exits 0 when the
    /// message is kept, whatever it became, and prints what that was.
    IngestMail {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Inbound email as kept: counts by outcome, lists, and the raw message.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// A resident's request for their data: export it, or erase it.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Everything held for an email address (cases with their timelines, replies and
    /// emails, inbound mail, files listed) as JSON.
    Export {
        /// The address, in any letter case.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Write to FILE (readable by its owner only) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Anonymise every case and message of an email address as the retention job does,
    /// and remove its bounce suppression and the mail naming it. The figures stay.
    Erase {
        /// The address, in any letter case.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
}

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The system the records come from. With a record's `service_request_id` it
    /// names the record once: importing it again from any file adds nothing.
    #[arg(long, value_name = "NAME", default_value = "import", value_parser = import_source)]
    pub source: String,
    /// Cases written per transaction.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=5000))]
    pub batch_size: u16,
}

/// An import source's name: one line of 1 to 100 characters.
fn import_source(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("a source's name is one line of 1 to 100 characters".into());
    }
    Ok(name.to_owned())
}

#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    /// Past cases to add as training examples first: JSONL (Open311 export) or CSV,
    /// `.bz2` or not. Records already imported are skipped; may be repeated.
    #[arg(long, value_name = "FILE")]
    pub import: Vec<PathBuf>,
    /// Make the new model live at once (default: live only if no model is).
    #[arg(long)]
    pub live: bool,
    /// Keep the new model in shadow beside the live one, even if none is live.
    #[arg(long)]
    pub candidate: bool,
    /// Precision the routing threshold must reach on held-out examples (default:
    /// the `routing.target_precision` setting).
    #[arg(long, value_name = "P")]
    pub target_precision: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Every stored version with its role and held-out figures.
    List,
    /// Make a version live; the live one is retired.
    Promote { version: i64 },
    /// Stop a version from running.
    Retire { version: i64 },
    /// Score a version and another (default: the live one) on the routed cases both
    /// predicted, against where the cases finally went.
    Compare {
        version: i64,
        #[arg(long, value_name = "VERSION")]
        with: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account.
    Add {
        #[arg(long, value_name = "EMAIL", value_parser = EmailAddress::parse)]
        email: EmailAddress,
        /// admin (everything), triage (every unit's cases) or handler (their units').
        #[arg(long, value_name = "ROLE", value_parser = parse_role)]
        role: StaffRole,
        /// A unit the person works for (a handler needs at least one); may be repeated.
        #[arg(long = "unit", value_name = "CODE")]
        units: Vec<String>,
    },
    /// Every staff account with its role, units and whether it is disabled.
    List,
    /// Disable an account: its tokens stop working at once.
    Disable {
        #[arg(long, value_name = "EMAIL", value_parser = EmailAddress::parse)]
        email: EmailAddress,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an account. The token is printed once, as the last
    /// line; only its hash is stored.
    Create {
        #[arg(long, value_name = "EMAIL", value_parser = EmailAddress::parse)]
        email: EmailAddress,
        /// Days until the token stops working (default: until revoked).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
        expires_in: Option<u32>,
        /// What the token is for ("laptop", "integration X"), shown by `token list`.
        #[arg(long, value_name = "TEXT", value_parser = token_label)]
        label: Option<String>,
    },
    /// Every token's id, owner, label, creation, expiry and revocation (never the
    /// token).
    List,
    /// Stop a token from working.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a named key for a system that creates service requests. The key is
    /// printed once, as the last line; only its hash is stored.
    Create {
        /// Who the key is for ("fixmystreet", "city-app"): one line of 1 to 100
        /// characters, recorded as the source of the cases it creates.
        #[arg(long, value_name = "NAME", value_parser = api_key_name)]
        name: String,
    },
    /// Every key's name, creation and revocation (never the key).
    List,
    /// Stop a key from working.
    Revoke {
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// An API key's name: one line, 1 to 100 characters.
fn api_key_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("a key's name is one line of 1 to 100 characters".into());
    }
    Ok(name.to_owned())
}

fn parse_role(text: &str) -> Result<StaffRole, String> {
    StaffRole::from_code(&text.to_lowercase()).ok_or_else(|| {
        let roles: Vec<&str> = StaffRole::ALL.iter().map(|role| role.code()).collect();
        format!("no role {text:?}; give one of {}", roles.join(", "))
    })
}

/// `palaute stats`: the figures of the GraphQL `stats` query, for reports.
#[derive(Debug, Args, Clone)]
pub struct StatsArgs {
    /// First day of case creation, included: a date (midnight in Helsinki, e.g.
    /// 2026-01-01) or an RFC 3339 instant.
    #[arg(long, value_name = "DATE", value_parser = crate::stats::parse_report_time)]
    pub from: chrono::DateTime<chrono::Utc>,
    /// End of the range, excluded: `--from 2026-01-01 --to 2026-02-01` is January.
    #[arg(long, value_name = "DATE", value_parser = crate::stats::parse_report_time)]
    pub to: chrono::DateTime<chrono::Utc>,
    /// One row per channel, unit, category, language or ISO week, and a total.
    #[arg(long, value_enum, value_name = "GROUP", default_value = "unit")]
    pub group_by: crate::stats::GroupBy,
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "csv")]
    pub format: crate::stats::ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate an organisation file and name every problem with its place.
    Check {
        /// The organisation TOML file.
        file: PathBuf,
    },
    /// Print the settings in force (secrets hidden).
    Show,
}

/// `palaute eval-routing`: JSONL (Open311 export) or CSV (`sentence,ministry`), `.bz2` or not.
#[derive(Debug, Args, Clone)]
pub struct EvalRoutingArgs {
    /// Cases to train on.
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Cases to score on.
    #[arg(long, value_name = "FILE", required_unless_present = "split_newest")]
    pub test: Option<PathBuf>,
    /// Instead of --test: score on the newest FRACTION of --train by
    /// `requested_datetime` (file order where absent) and train on the rest.
    #[arg(long, value_name = "FRACTION", conflicts_with = "test")]
    pub split_newest: Option<f64>,
    /// Print one JSON object: {"unit", "unit_text_only", "category", "n_train", "n_test", "train_seconds"}.
    #[arg(long)]
    pub json: bool,
    /// Precision the routing threshold must reach on the newest fifth of the training data.
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub target_precision: f64,
    /// Features: words, stems, charN-M, joined by + (default char3-5).
    #[arg(long, value_name = "SET", value_parser = crate::eval_routing::parse_features)]
    pub features: Option<palaute_routing::model::FeatureSet>,
    /// Weigh rare units up: 0 counts every case once, 1 weighs all units alike
    /// (default: the model's, 0.5 with a category prior and 0 without).
    #[arg(long, value_name = "POWER")]
    pub class_balance: Option<f32>,
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// How many inbound emails ended each way (set aside: by reason).
    Counts,
    /// Inbound emails, newest first: id, received, source, outcome, reason, case,
    /// sender, size and subject, tab-separated.
    List {
        /// Only those set aside (auto-replies, bounces, receipts, complaints, unreadable).
        #[arg(long)]
        set_aside: bool,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only those with a smaller id (the next page).
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
    },
    /// Print one inbound email exactly as it arrived.
    Show {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

/// A token label: one line, at most 100 characters.
fn token_label(text: &str) -> Result<String, String> {
    let label = text.trim();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err("a label is one line of 1 to 100 characters".into());
    }
    Ok(label.to_owned())
}
