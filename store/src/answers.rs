//! Answers to a category's extra questions: written with the case, read in the order
//! the questions were asked.

use std::collections::HashMap;

use palaute_core::CaseId;
use palaute_core::guidance::Answer;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use crate::db::Store;
use crate::entity::case_answer;
use crate::error::{DbContext, StoreError};

/// Writes a new case's answers inside its submission transaction.
pub(crate) async fn insert_answers(
    txn: &impl ConnectionTrait,
    case_id: i64,
    answers: &[Answer],
) -> Result<(), StoreError> {
    if answers.is_empty() {
        return Ok(());
    }
    let rows = answers
        .iter()
        .enumerate()
        .map(|(position, answer)| case_answer::ActiveModel {
            case_id: Set(case_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            question_code: Set(answer.code.clone()),
            value: Set(answer.value.clone()),
            ..Default::default()
        });
    case_answer::Entity::insert_many(rows)
        .exec(txn)
        .await
        .context("saving the answers to the category's questions")?;
    Ok(())
}

impl Store {
    /// The answers of each of `case_ids` that has any, in the questions' order: one
    /// query for a page of cases.
    pub async fn case_answers(
        &self,
        case_ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<Answer>>, StoreError> {
        let ids: Vec<i64> = case_ids.iter().map(|id| id.0).collect();
        let rows = case_answer::Entity::find()
            .filter(case_answer::Column::CaseId.is_in(ids))
            .order_by_asc(case_answer::Column::CaseId)
            .order_by_asc(case_answer::Column::Position)
            .all(&self.db)
            .await
            .context("reading the answers of cases")?;
        let mut answers: HashMap<CaseId, Vec<Answer>> = HashMap::new();
        for row in rows {
            answers
                .entry(CaseId(row.case_id))
                .or_default()
                .push(Answer {
                    code: row.question_code,
                    value: row.value,
                });
        }
        Ok(answers)
    }
}
