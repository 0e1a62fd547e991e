//! Log lines on stderr: human-readable text by default, or one JSON object per line
//! (`[log] format = "json"`) carrying the fields of the spans it happened in, so a
//! request's `request_id` shows on its own lines and on its jobs' lines.

use palaute_core::settings::LogFormat;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// What is logged unless `RUST_LOG` says otherwise.
const DEFAULT_FILTER: &str = "info,tantivy=warn,sqlx=warn";

/// Installs the process's subscriber, writing to stderr.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // `try_init` also forwards the `log` records of crates that use `log`. It only
    // fails when a subscriber is already set, which leaves logging as it was.
    let _ = subscriber(format, filter, std::io::stderr).try_init();
}

/// The subscriber `init` installs, writing to `writer`; tests capture lines with it.
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}
