//! The `[attachments]` settings: how many files a submission may carry, how large, and
//! of which types. Every door that takes files (Open311 `media`, email) applies them.

use serde::{Deserialize, Serialize};

use crate::attachment::MediaType;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentSettings {
    /// Files one submission may carry; 0 takes none.
    pub max_files: usize,
    /// Largest file, in bytes.
    pub max_file_bytes: usize,
    /// The types kept, told by each file's first bytes: any of image/jpeg, image/png,
    /// image/gif, image/webp, image/heic and application/pdf.
    pub allowed_types: Vec<MediaType>,
}

impl Default for AttachmentSettings {
    fn default() -> Self {
        Self {
            max_files: 5,
            max_file_bytes: 5 * 1024 * 1024,
            allowed_types: MediaType::ALL.to_vec(),
        }
    }
}

impl AttachmentSettings {
    /// The most bytes a submission's files may add up to.
    pub fn max_total_bytes(&self) -> usize {
        self.max_files.saturating_mul(self.max_file_bytes)
    }
}
