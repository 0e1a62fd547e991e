//! The `[open311]` settings: the Open311 GeoReport v2 door at `/open311/v2/`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Open311Settings {
    /// Keys that may create service requests (`POST requests`); reading needs none.
    /// Empty (the default): the door only reads. Keys are compared by their SHA-256
    /// hash in constant time.
    pub api_keys: Vec<String>,
}

/// The keys are secrets: debug output shows how many there are, not what they are.
impl std::fmt::Debug for Open311Settings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Open311Settings")
            .field(
                "api_keys",
                &format_args!("[{} hidden]", self.api_keys.len()),
            )
            .finish()
    }
}
