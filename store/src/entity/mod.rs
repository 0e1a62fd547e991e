//! sea-orm entities: one module per table. These are storage shapes only; the
//! repositories turn them into the read models the rest of the system sees.

pub mod api_token;
pub mod case;
pub mod case_anonymisation;
pub mod case_answer;
pub mod case_attachment;
pub mod case_contact;
pub mod case_deadline_notice;
pub mod case_event;
pub mod case_import;
pub mod case_link;
pub mod case_tag;
pub mod category;
pub mod division;
pub mod email;
pub mod email_suppression;
pub mod inbound_mail;
pub mod index_queue;
pub mod job;
pub mod open311_api_key;
pub mod recipient_throttle;
pub mod reference_counter;
pub mod reply_template;
pub mod routing_model;
pub mod routing_prediction;
pub mod schedule;
pub mod staff_user;
pub mod staff_user_unit;
pub mod training_example;
pub mod unit;
