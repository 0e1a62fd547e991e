//! Guidance a category gives before a case is made: a notice shown on choosing it,
//! extra questions (published by Open311 as the service definition's attributes), or a
//! redirect that stops the submission and says where to go instead.
//!
//! The organisation file declares it; [`check_answers`] is the one rule every door
//! applies, so a redirect stops an Open311 or GraphQL submission as surely as the form.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::org::Category;

/// The most answers one submission may carry, and the longest answer.
pub const MAX_ANSWERS: usize = 30;
pub const MAX_ANSWER_CHARS: usize = 1_000;

/// Guidance of one category; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    /// Shown as soon as the category is chosen ("a broken street light: give the
    /// number on the pole").
    #[serde(default)]
    pub notice: Option<Localized>,
    /// Asked in addition to the description.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// This category is not handled through palaute: the submission stops here.
    #[serde(default)]
    pub redirect: Option<Redirect>,
}

/// Where to go instead, and why ("a danger to life: call 112").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub message: Localized,
    /// A web address or `tel:` link the resident can follow.
    #[serde(default)]
    pub url: Option<String>,
}

/// One extra question, in the shape of an Open311 service-definition attribute.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The attribute code (`attribute[code]` in Open311).
    pub code: String,
    pub kind: QuestionKind,
    pub question: Localized,
    #[serde(default)]
    pub required: bool,
    /// For the choice kinds: the allowed answers.
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// Exactly one of the choices.
    SingleChoice,
    /// Any number of the choices.
    MultiChoice,
}

impl QuestionKind {
    /// The Open311 GeoReport v2 attribute datatype.
    pub fn open311_datatype(self) -> &'static str {
        match self {
            Self::Text => "string",
            Self::LongText => "text",
            Self::Number => "number",
            Self::Date => "datetime",
            Self::SingleChoice => "singlevaluelist",
            Self::MultiChoice => "multivaluelist",
        }
    }

    pub fn has_choices(self) -> bool {
        matches!(self, Self::SingleChoice | Self::MultiChoice)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub key: String,
    pub name: Localized,
}

/// A resident's answer to one question, checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub code: String,
    /// A choice's key for the choice kinds (one answer per chosen key); the text, the
    /// number as written, or the date otherwise.
    pub value: String,
}

/// Why the answers (or the category itself) are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuidanceProblem {
    /// The category is handled elsewhere; nothing may be submitted under it.
    Redirected(Redirect),
    /// Answers given without a category, or to a question the category doesn't ask.
    UnknownQuestion {
        code: String,
    },
    Missing {
        code: String,
    },
    NotAChoice {
        code: String,
        value: String,
    },
    NotANumber {
        code: String,
    },
    NotADate {
        code: String,
    },
    /// More than one answer to a question that takes one.
    OneAnswerOnly {
        code: String,
    },
    TooLong {
        code: String,
    },
    TooMany,
}

impl GuidanceProblem {
    /// The question the problem is about, if it is about one.
    pub fn question(&self) -> Option<&str> {
        match self {
            Self::Redirected(_) | Self::TooMany => None,
            Self::UnknownQuestion { code }
            | Self::Missing { code }
            | Self::NotAChoice { code, .. }
            | Self::NotANumber { code }
            | Self::NotADate { code }
            | Self::OneAnswerOnly { code }
            | Self::TooLong { code } => Some(code),
        }
    }

    /// In English, for the doors whose errors are English (GraphQL, Open311).
    pub fn message(&self) -> String {
        match self {
            Self::Redirected(redirect) => {
                let mut message =
                    format!("this category is not handled here: {}", redirect.message.en);
                if let Some(url) = &redirect.url {
                    message.push_str(&format!(" ({url})"));
                }
                message
            }
            Self::UnknownQuestion { code } => {
                format!("the category asks no question {code:?}")
            }
            Self::Missing { code } => format!("question {code:?} needs an answer"),
            Self::NotAChoice { code, value } => {
                format!("{value:?} is not one of the choices of question {code:?}")
            }
            Self::NotANumber { code } => format!("question {code:?} takes a number"),
            Self::NotADate { code } => {
                format!("question {code:?} takes a date as YYYY-MM-DD")
            }
            Self::OneAnswerOnly { code } => {
                format!("question {code:?} takes one answer")
            }
            Self::TooLong { code } => format!(
                "the answer to question {code:?} is longer than {MAX_ANSWER_CHARS} characters"
            ),
            Self::TooMany => format!("at most {MAX_ANSWERS} answers are taken"),
        }
    }
}

/// Checks `answers` (code, value pairs as a door received them) against the chosen
/// category's guidance: a redirect refuses everything, every required question needs
/// an answer, and each answer must fit its question. Empty answers count as none.
pub fn check_answers(
    category: Option<&Category>,
    answers: &[(String, String)],
) -> Result<Vec<Answer>, Vec<GuidanceProblem>> {
    let guidance = category.and_then(|category| category.guidance.as_ref());
    if let Some(redirect) = guidance.and_then(|guidance| guidance.redirect.as_ref()) {
        return Err(vec![GuidanceProblem::Redirected(redirect.clone())]);
    }
    let questions = guidance.map_or(&[][..], |guidance| guidance.questions.as_slice());
    let given: Vec<(&str, &str)> = answers
        .iter()
        .map(|(code, value)| (code.trim(), value.trim()))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    if given.len() > MAX_ANSWERS {
        return Err(vec![GuidanceProblem::TooMany]);
    }

    let mut problems = Vec::new();
    let mut reported_unknown = HashSet::new();
    for (code, _) in &given {
        if !questions.iter().any(|question| question.code == *code)
            && reported_unknown.insert(*code)
        {
            problems.push(GuidanceProblem::UnknownQuestion {
                code: (*code).to_owned(),
            });
        }
    }
    let mut checked = Vec::new();
    for question in questions {
        let values: Vec<&str> = given
            .iter()
            .filter(|(code, _)| *code == question.code)
            .map(|(_, value)| *value)
            .collect();
        match check_question(question, &values) {
            Ok(mut answers) => checked.append(&mut answers),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

fn check_question(question: &Question, values: &[&str]) -> Result<Vec<Answer>, GuidanceProblem> {
    let code = || question.code.clone();
    if values.is_empty() {
        return if question.required {
            Err(GuidanceProblem::Missing { code: code() })
        } else {
            Ok(Vec::new())
        };
    }
    if question.kind != QuestionKind::MultiChoice && values.len() > 1 {
        return Err(GuidanceProblem::OneAnswerOnly { code: code() });
    }
    let mut answers = Vec::new();
    let mut seen = HashSet::new();
    for value in values {
        if value.chars().count() > MAX_ANSWER_CHARS {
            return Err(GuidanceProblem::TooLong { code: code() });
        }
        let valid = match question.kind {
            QuestionKind::Text | QuestionKind::LongText => true,
            QuestionKind::Number => {
                if !value
                    .replace(',', ".")
                    .parse::<f64>()
                    .is_ok_and(f64::is_finite)
                {
                    return Err(GuidanceProblem::NotANumber { code: code() });
                }
                true
            }
            QuestionKind::Date => {
                if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() {
                    return Err(GuidanceProblem::NotADate { code: code() });
                }
                true
            }
            QuestionKind::SingleChoice | QuestionKind::MultiChoice => {
                question.choices.iter().any(|choice| choice.key == *value)
            }
        };
        if !valid {
            return Err(GuidanceProblem::NotAChoice {
                code: code(),
                value: (*value).to_owned(),
            });
        }
        // A choice ticked twice is one answer.
        if seen.insert(*value) {
            answers.push(Answer {
                code: code(),
                value: (*value).to_owned(),
            });
        }
    }
    Ok(answers)
}

/// Problems in a category's guidance as the organisation file states it, for
/// `Organisation::from_toml`: `(place suffix, message)`.
pub fn guidance_problems(guidance: &Guidance) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut codes = HashSet::new();
    for (index, question) in guidance.questions.iter().enumerate() {
        let place = format!("guidance.questions[{index}] (code {:?})", question.code);
        let code_is_plain = !question.code.is_empty()
            && question.code.len() <= 64
            && question
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !code_is_plain {
            problems.push((
                format!("{place}.code"),
                "a question code is 1 to 64 letters, digits, '_' or '-'".to_owned(),
            ));
        }
        if !codes.insert(question.code.as_str()) {
            problems.push((
                format!("{place}.code"),
                "duplicate question code".to_owned(),
            ));
        }
        if question.kind.has_choices() && question.choices.is_empty() {
            problems.push((
                format!("{place}.choices"),
                "a choice question needs choices".to_owned(),
            ));
        }
        if !question.kind.has_choices() && !question.choices.is_empty() {
            problems.push((
                format!("{place}.choices"),
                "only single_choice and multi_choice questions take choices".to_owned(),
            ));
        }
        let mut keys = HashSet::new();
        for choice in &question.choices {
            if choice.key.trim().is_empty() || !keys.insert(choice.key.as_str()) {
                problems.push((
                    format!("{place}.choices"),
                    format!("choice key {:?} is empty or repeated", choice.key),
                ));
            }
        }
    }
    if let Some(redirect) = &guidance.redirect {
        if !guidance.questions.is_empty() {
            problems.push((
                "guidance.redirect".to_owned(),
                "a redirected category asks no questions".to_owned(),
            ));
        }
        if let Some(url) = &redirect.url
            && !["https://", "http://", "tel:", "mailto:"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
        {
            problems.push((
                "guidance.redirect.url".to_owned(),
                format!("{url:?} is not an http(s), tel: or mailto: address"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Organisation;

    fn pothole_with_questions() -> Category {
        let mut category = Organisation::helsinki()
            .category("171")
            .cloned()
            .expect("pothole category");
        category.guidance = Some(Guidance {
            notice: None,
            questions: vec![
                Question {
                    code: "size".into(),
                    kind: QuestionKind::SingleChoice,
                    question: Localized::new("Koko?", "Storlek?", "Size?"),
                    required: true,
                    choices: vec![
                        Choice {
                            key: "small".into(),
                            name: Localized::new("pieni", "liten", "small"),
                        },
                        Choice {
                            key: "big".into(),
                            name: Localized::new("iso", "stor", "big"),
                        },
                    ],
                },
                Question {
                    code: "depth_cm".into(),
                    kind: QuestionKind::Number,
                    question: Localized::new("Syvyys?", "Djup?", "Depth?"),
                    required: false,
                    choices: Vec::new(),
                },
            ],
            redirect: None,
        });
        category
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(code, value)| ((*code).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn valid_answers_are_kept_in_question_order() {
        let category = pothole_with_questions();
        let answers = check_answers(
            Some(&category),
            &pairs(&[("depth_cm", "12,5"), ("size", "big")]),
        )
        .expect("valid answers");
        let codes: Vec<&str> = answers.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["size", "depth_cm"]);
    }

    #[test]
    fn every_broken_rule_is_named() {
        let category = pothole_with_questions();
        let problems = check_answers(
            Some(&category),
            &pairs(&[("depth_cm", "deep"), ("colour", "red")]),
        )
        .expect_err("broken answers");
        assert!(problems.contains(&GuidanceProblem::UnknownQuestion {
            code: "colour".into()
        }));
        assert!(problems.contains(&GuidanceProblem::Missing {
            code: "size".into()
        }));
        assert!(problems.contains(&GuidanceProblem::NotANumber {
            code: "depth_cm".into()
        }));
        let problems =
            check_answers(Some(&category), &pairs(&[("size", "huge")])).expect_err("not a choice");
        assert!(matches!(problems[0], GuidanceProblem::NotAChoice { .. }));
    }

    #[test]
    fn a_redirect_refuses_the_submission() {
        let mut category = pothole_with_questions();
        let guidance = category.guidance.get_or_insert_with(Guidance::default);
        guidance.questions.clear();
        guidance.redirect = Some(Redirect {
            message: Localized::new("Soita 112", "Ring 112", "Call 112"),
            url: Some("tel:112".into()),
        });
        let problems = check_answers(Some(&category), &[]).expect_err("redirected");
        assert!(problems[0].message().contains("Call 112 (tel:112)"));
    }

    #[test]
    fn answers_without_a_category_are_refused_and_blank_ones_ignored() {
        assert!(check_answers(None, &pairs(&[("size", "  ")])).is_ok());
        assert!(check_answers(None, &pairs(&[("size", "big")])).is_err());
    }

    #[test]
    fn the_file_is_checked() {
        let guidance = Guidance {
            notice: None,
            questions: vec![Question {
                code: "bad code".into(),
                kind: QuestionKind::SingleChoice,
                question: Localized::new("a", "b", "c"),
                required: false,
                choices: Vec::new(),
            }],
            redirect: Some(Redirect {
                message: Localized::new("a", "b", "c"),
                url: Some("javascript:alert(1)".into()),
            }),
        };
        let places: Vec<String> = guidance_problems(&guidance)
            .into_iter()
            .map(|(place, _)| place)
            .collect();
        assert_eq!(places.len(), 4, "{places:?}");
    }
}
