//! A category's guidance as GraphQL shows it: the notice, the extra questions and the
//! redirect, in the language asked for, so a resident client can show them before the
//! submission, and the answers a case carries, for staff.

use async_graphql::{Enum, Object, SimpleObject};
use palaute_core::guidance::{Answer, Guidance, Question, QuestionKind, Redirect};

use crate::types::Language;

/// What a resident is told and asked on choosing a category.
pub struct GuidanceView {
    pub guidance: Guidance,
    pub lang: Language,
}

#[Object(name = "CategoryGuidance")]
impl GuidanceView {
    /// Shown as soon as the category is chosen.
    async fn notice(&self) -> Option<String> {
        let notice = self.guidance.notice.as_ref()?;
        Some(notice.get(self.lang.into()).to_owned())
    }

    /// Asked besides the description; `answers` in `submitFeedback` carries them.
    async fn questions(&self) -> Vec<QuestionView> {
        self.guidance
            .questions
            .iter()
            .map(|question| QuestionView {
                question: question.clone(),
                lang: self.lang,
            })
            .collect()
    }

    /// When set, this category is handled elsewhere and a submission under it is
    /// refused (`BAD_USER_INPUT` on `categoryCode`).
    async fn redirect(&self) -> Option<RedirectView> {
        self.guidance
            .redirect
            .as_ref()
            .map(|redirect| RedirectView::new(redirect, self.lang))
    }
}

pub struct QuestionView {
    question: Question,
    lang: Language,
}

#[Object(name = "CategoryQuestion")]
impl QuestionView {
    /// The answer's `question` in `AnswerInput` (Open311: `attribute[code]`).
    async fn code(&self) -> &str {
        &self.question.code
    }

    async fn kind(&self) -> QuestionKindView {
        self.question.kind.into()
    }

    async fn question(&self) -> &str {
        self.question.question.get(self.lang.into())
    }

    async fn required(&self) -> bool {
        self.question.required
    }

    /// The allowed answers of a choice question; empty otherwise.
    async fn choices(&self) -> Vec<ChoiceView> {
        self.question
            .choices
            .iter()
            .map(|choice| ChoiceView {
                key: choice.key.clone(),
                name: choice.name.get(self.lang.into()).to_owned(),
            })
            .collect()
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "QuestionKind")]
pub enum QuestionKindView {
    Text,
    LongText,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    SingleChoice,
    /// Answered once per chosen key.
    MultiChoice,
}

impl From<QuestionKind> for QuestionKindView {
    fn from(kind: QuestionKind) -> Self {
        match kind {
            QuestionKind::Text => Self::Text,
            QuestionKind::LongText => Self::LongText,
            QuestionKind::Number => Self::Number,
            QuestionKind::Date => Self::Date,
            QuestionKind::SingleChoice => Self::SingleChoice,
            QuestionKind::MultiChoice => Self::MultiChoice,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "QuestionChoice")]
pub struct ChoiceView {
    pub key: String,
    pub name: String,
}

#[derive(SimpleObject)]
#[graphql(name = "CategoryRedirect")]
pub struct RedirectView {
    /// Where to go instead, and why.
    pub message: String,
    /// A web address, `tel:` or `mailto:` link.
    pub url: Option<String>,
}

impl RedirectView {
    fn new(redirect: &Redirect, lang: Language) -> Self {
        Self {
            message: redirect.message.get(lang.into()).to_owned(),
            url: redirect.url.clone(),
        }
    }
}

/// A resident's answer to one of the category's questions.
#[derive(SimpleObject)]
#[graphql(name = "CaseAnswer")]
pub struct AnswerView {
    /// The question's code.
    pub question: String,
    pub value: String,
}

impl From<Answer> for AnswerView {
    fn from(answer: Answer) -> Self {
        Self {
            question: answer.code,
            value: answer.value,
        }
    }
}
