//! The background worker: claims jobs from the store and runs the case pipeline.

pub mod mail;
