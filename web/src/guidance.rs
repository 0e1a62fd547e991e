//! A category's guidance on the form: its notice (and a redirect's message) shown by
//! form.js when the category is chosen, and its extra questions as inputs.
//!
//! A question's input is named `answer-{category}-{question}`, so that the questions
//! of every category can stand in the page at once (without JavaScript all are
//! shown; with it, only the chosen category's). Only the chosen category's answers
//! are sent on to the intake rules.

use palaute_core::guidance::QuestionKind;
use palaute_core::{Category, Language, Organisation};

use crate::i18n::texts;

/// Shown when its category is chosen.
pub struct CategoryNotice {
    pub code: String,
    pub category: String,
    pub text: String,
    /// A redirect's address (`tel:112`, a web page), for a link.
    pub url: Option<String>,
}

/// The extra questions of one category.
pub struct QuestionGroup {
    pub code: String,
    pub legend: String,
    pub questions: Vec<ShownQuestion>,
}

pub struct ShownQuestion {
    /// The input's name and id (for the choice kinds: the first choice's id).
    pub name: String,
    pub label: String,
    pub required: bool,
    /// `text`, `textarea`, `date`, `radio` or `checkbox` (a number is `text` with a
    /// numeric keyboard: `type="number"` drops what it cannot read).
    pub input: &'static str,
    /// `decimal` for a number.
    pub inputmode: Option<&'static str>,
    /// The answer given, kept when the form comes back.
    pub value: String,
    pub choices: Vec<ShownChoice>,
}

pub struct ShownChoice {
    pub id: String,
    pub key: String,
    pub label: String,
    pub checked: bool,
}

/// The input name of `question` of `category`.
pub fn answer_name(category: &str, question: &str) -> String {
    format!("answer-{category}-{question}")
}

/// Every category's notice, and every redirect's message, in `language`.
pub fn notices(organisation: &Organisation, language: Language) -> Vec<CategoryNotice> {
    let mut notices = Vec::new();
    for category in &organisation.categories {
        let Some(guidance) = &category.guidance else {
            continue;
        };
        for text in guidance
            .redirect
            .iter()
            .map(|redirect| &redirect.message)
            .chain(guidance.notice.iter())
        {
            notices.push(CategoryNotice {
                code: category.code.clone(),
                category: category.name.get(language).to_owned(),
                text: text.get(language).to_owned(),
                url: guidance
                    .redirect
                    .as_ref()
                    .and_then(|redirect| redirect.url.clone()),
            });
        }
    }
    notices
}

/// The questions of every category that asks any, with the answers in `posted`
/// (input name, value) filled in.
pub fn question_groups(
    organisation: &Organisation,
    language: Language,
    posted: &[(String, String)],
) -> Vec<QuestionGroup> {
    let t = texts(language);
    organisation
        .categories
        .iter()
        .filter_map(|category| {
            let guidance = category.guidance.as_ref()?;
            if guidance.questions.is_empty() || guidance.redirect.is_some() {
                return None;
            }
            Some(QuestionGroup {
                code: category.code.clone(),
                legend: t
                    .questions_legend_template
                    .replace("{category}", category.name.get(language)),
                questions: guidance
                    .questions
                    .iter()
                    .map(|question| shown_question(category, question, language, posted))
                    .collect(),
            })
        })
        .collect()
}

fn shown_question(
    category: &Category,
    question: &palaute_core::guidance::Question,
    language: Language,
    posted: &[(String, String)],
) -> ShownQuestion {
    let name = answer_name(&category.code, &question.code);
    let given: Vec<&str> = posted
        .iter()
        .filter(|(field, _)| *field == name)
        .map(|(_, value)| value.as_str())
        .collect();
    let input = match question.kind {
        QuestionKind::Text => "text",
        QuestionKind::LongText => "textarea",
        QuestionKind::Number => "text",
        QuestionKind::Date => "date",
        QuestionKind::SingleChoice => "radio",
        QuestionKind::MultiChoice => "checkbox",
    };
    let choices = question
        .choices
        .iter()
        .enumerate()
        .map(|(position, choice)| ShownChoice {
            // The first choice carries the question's id: errors link to it.
            id: if position == 0 {
                name.clone()
            } else {
                format!("{name}-{}", choice.key)
            },
            key: choice.key.clone(),
            label: choice.name.get(language).to_owned(),
            checked: given.contains(&choice.key.as_str()),
        })
        .collect();
    ShownQuestion {
        label: question.question.get(language).to_owned(),
        required: question.required,
        input,
        inputmode: (question.kind == QuestionKind::Number).then_some("decimal"),
        value: given.first().copied().unwrap_or_default().to_owned(),
        choices,
        name,
    }
}

/// The answers to the chosen category's questions as (question code, value), empty
/// ones left out; another category's inputs are ignored.
pub fn chosen_answers(category: &str, posted: &[(String, String)]) -> Vec<(String, String)> {
    let prefix = format!("answer-{category}-");
    posted
        .iter()
        .filter_map(|(name, value)| {
            let code = name.strip_prefix(&prefix)?;
            let value = value.trim();
            (!value.is_empty()).then(|| (code.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_chosen_categorys_answers_are_sent_on() {
        let posted = vec![
            ("answer-171-size".to_owned(), "large".to_owned()),
            ("answer-197-pole_number".to_owned(), "A-12".to_owned()),
            ("answer-171-note".to_owned(), "  ".to_owned()),
            ("description".to_owned(), "Kuoppa".to_owned()),
        ];
        assert_eq!(
            chosen_answers("171", &posted),
            [("size".to_owned(), "large".to_owned())]
        );
    }

    #[test]
    fn helsinkis_questions_and_notices_are_offered() {
        let helsinki = Organisation::helsinki();
        let groups = question_groups(&helsinki, Language::Sv, &[]);
        let size = groups
            .iter()
            .flat_map(|group| &group.questions)
            .find(|question| question.name == "answer-171-size")
            .expect("the pothole's size question");
        assert_eq!(size.input, "radio");
        assert_eq!(size.choices[0].id, "answer-171-size");
        assert!(!size.choices[0].checked);
        let notices = notices(&helsinki, Language::En);
        assert!(
            notices
                .iter()
                .any(|notice| notice.url.as_deref() == Some("tel:112"))
        );
    }
}
