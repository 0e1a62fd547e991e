//! Reply templates: text staff start a reply or a status note from, with placeholders
//! for the case's fields. A template is checked once, when an administrator saves it
//! (`ReplyTemplate::parse`), so filling it for a case cannot fail: every placeholder
//! it holds is one the case can answer.
//!
//! Placeholders are `{reference}`, `{title}`, `{category}`, `{unit}`, `{status}` and
//! `{received}`; `{{` and `}}` are literal braces. Anything else in braces, and a
//! brace without its partner, is refused with its position (characters before it),
//! so the editor can point at it.

/// As long as a reply may be: a filled template is meant to become one.
pub const MAX_TEMPLATE_CHARS: usize = 10_000;

/// The case fields a template can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Reference,
    Title,
    Category,
    Unit,
    Status,
    Received,
}

impl Placeholder {
    pub const ALL: [Placeholder; 6] = [
        Placeholder::Reference,
        Placeholder::Title,
        Placeholder::Category,
        Placeholder::Unit,
        Placeholder::Status,
        Placeholder::Received,
    ];

    /// The name written between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Reference => "reference",
            Placeholder::Title => "title",
            Placeholder::Category => "category",
            Placeholder::Unit => "unit",
            Placeholder::Status => "status",
            Placeholder::Received => "received",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|placeholder| placeholder.name() == name)
    }
}

/// Why a template body was refused. Positions count characters, not bytes, from the
/// start of the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is empty")]
    Empty,
    #[error("the template is {length} characters long; at most {max} are accepted")]
    TooLong { length: usize, max: usize },
    #[error(
        "unknown placeholder {{{name}}} at character {position}; known are {{reference}}, {{title}}, {{category}}, {{unit}}, {{status}} and {{received}}"
    )]
    UnknownPlaceholder { name: String, position: usize },
    #[error("the brace at character {position} is not closed; write {{{{ for a literal brace")]
    Unclosed { position: usize },
    #[error("the brace at character {position} was never opened; write }}}} for a literal brace")]
    Unopened { position: usize },
}

impl TemplateError {
    /// Where in the body the problem is, when it is at one place.
    pub fn position(&self) -> Option<usize> {
        match self {
            TemplateError::UnknownPlaceholder { position, .. }
            | TemplateError::Unclosed { position }
            | TemplateError::Unopened { position } => Some(*position),
            TemplateError::Empty | TemplateError::TooLong { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Field(Placeholder),
}

/// A checked template body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplate {
    segments: Vec<Segment>,
}

/// The values of a case's fields, already written in the language the reply is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFields {
    pub reference: String,
    pub title: String,
    pub category: String,
    pub unit: String,
    pub status: String,
    pub received: String,
}

impl TemplateFields {
    fn value(&self, placeholder: Placeholder) -> &str {
        match placeholder {
            Placeholder::Reference => &self.reference,
            Placeholder::Title => &self.title,
            Placeholder::Category => &self.category,
            Placeholder::Unit => &self.unit,
            Placeholder::Status => &self.status,
            Placeholder::Received => &self.received,
        }
    }
}

impl ReplyTemplate {
    /// Checks a body (already normalised by the caller) and splits it into text and
    /// placeholders. The first problem found is reported.
    pub fn parse(body: &str) -> Result<Self, TemplateError> {
        if body.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let length = body.chars().count();
        if length > MAX_TEMPLATE_CHARS {
            return Err(TemplateError::TooLong {
                length,
                max: MAX_TEMPLATE_CHARS,
            });
        }
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut chars = body.chars().enumerate().peekable();
        while let Some((position, c)) = chars.next() {
            match c {
                '{' if chars.next_if(|(_, next)| *next == '{').is_some() => text.push('{'),
                '}' if chars.next_if(|(_, next)| *next == '}').is_some() => text.push('}'),
                '}' => return Err(TemplateError::Unopened { position }),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            // A brace inside a placeholder means the first one was
                            // never closed ("{unit {status}").
                            Some((_, '{')) | None => {
                                return Err(TemplateError::Unclosed { position });
                            }
                            Some((_, c)) => name.push(c),
                        }
                    }
                    let placeholder = Placeholder::from_name(name.trim())
                        .ok_or(TemplateError::UnknownPlaceholder { name, position })?;
                    if !text.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut text)));
                    }
                    segments.push(Segment::Field(placeholder));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Self { segments })
    }

    /// The body with every placeholder replaced by the case's value. Values are put in
    /// as they are: a brace in a title is not read as a placeholder.
    pub fn fill(&self, fields: &TemplateFields) -> String {
        let mut filled = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => filled.push_str(text),
                Segment::Field(placeholder) => filled.push_str(fields.value(*placeholder)),
            }
        }
        filled
    }

    /// The placeholders the body uses, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Field(placeholder) => Some(*placeholder),
            Segment::Text(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::case::Language;
    use crate::i18n::helsinki_time;

    fn fields() -> TemplateFields {
        TemplateFields {
            reference: "HEL-2026-000123".to_owned(),
            title: "Lamppu {rikki}".to_owned(),
            category: "Muu korjattava asia".to_owned(),
            unit: "Rakennusvirasto".to_owned(),
            status: "Käsittelyssä".to_owned(),
            received: "27.11.2026 klo 14.05".to_owned(),
        }
    }

    #[test]
    fn fills_every_placeholder_and_keeps_literal_braces() {
        let template = ReplyTemplate::parse(
            "Palautteesi {reference} ({title}, {category}) on {unit}:ssa, tila {status}, saapui {received}. {{ei kenttä}}",
        )
        .expect("valid");
        assert_eq!(
            template.fill(&fields()),
            "Palautteesi HEL-2026-000123 (Lamppu {rikki}, Muu korjattava asia) on Rakennusvirasto:ssa, tila Käsittelyssä, saapui 27.11.2026 klo 14.05. {ei kenttä}"
        );
        assert_eq!(template.placeholders().count(), 6);
    }

    #[test]
    fn text_without_placeholders_is_kept_as_is() {
        let template = ReplyTemplate::parse("Kiitos palautteestasi!").expect("valid");
        assert_eq!(template.fill(&fields()), "Kiitos palautteestasi!");
        assert_eq!(
            ReplyTemplate::parse("{{}}").expect("valid").fill(&fields()),
            "{}"
        );
    }

    #[test]
    fn unknown_placeholders_are_refused_with_their_position() {
        let error = ReplyTemplate::parse("Hei {nimi}, {reference}").expect_err("unknown");
        assert_eq!(
            error,
            TemplateError::UnknownPlaceholder {
                name: "nimi".to_owned(),
                position: 4
            }
        );
        assert_eq!(error.position(), Some(4));
        assert!(error.to_string().contains("{nimi}"), "{error}");
        // Positions count characters, not bytes.
        assert_eq!(
            ReplyTemplate::parse("ääää {x}")
                .expect_err("unknown")
                .position(),
            Some(5)
        );
        assert!(matches!(
            ReplyTemplate::parse("{}"),
            Err(TemplateError::UnknownPlaceholder { position: 0, .. })
        ));
    }

    #[test]
    fn unbalanced_braces_are_refused_with_their_position() {
        assert_eq!(
            ReplyTemplate::parse("Tila: {status"),
            Err(TemplateError::Unclosed { position: 6 })
        );
        assert_eq!(
            ReplyTemplate::parse("{unit {status}"),
            Err(TemplateError::Unclosed { position: 0 })
        );
        assert_eq!(
            ReplyTemplate::parse("ok } no"),
            Err(TemplateError::Unopened { position: 3 })
        );
        assert_eq!(
            ReplyTemplate::parse("{status}}"),
            Err(TemplateError::Unopened { position: 8 })
        );
    }

    #[test]
    fn empty_and_overlong_bodies_are_refused() {
        assert_eq!(ReplyTemplate::parse("  \n"), Err(TemplateError::Empty));
        let longest = "ä".repeat(MAX_TEMPLATE_CHARS);
        assert!(ReplyTemplate::parse(&longest).is_ok());
        assert_eq!(
            ReplyTemplate::parse(&format!("{longest}a")),
            Err(TemplateError::TooLong {
                length: MAX_TEMPLATE_CHARS + 1,
                max: MAX_TEMPLATE_CHARS
            })
        );
    }

    #[test]
    fn received_is_written_in_helsinki_time_per_language() {
        // 12:05 UTC is 14:05 in Helsinki in November (EET, UTC+2).
        let at = Utc
            .with_ymd_and_hms(2026, 11, 27, 12, 5, 0)
            .single()
            .expect("valid time");
        assert_eq!(helsinki_time(at, Language::Fi), "27.11.2026 klo 14.05");
        assert_eq!(helsinki_time(at, Language::Sv), "27.11.2026 kl. 14.05");
        assert_eq!(helsinki_time(at, Language::En), "27 Nov 2026 14:05");
        // Summer time (EEST, UTC+3).
        let summer = Utc
            .with_ymd_and_hms(2026, 6, 1, 21, 30, 0)
            .single()
            .expect("valid time");
        assert_eq!(helsinki_time(summer, Language::Fi), "2.6.2026 klo 0.30");
    }
}
