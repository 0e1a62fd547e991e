//! Routing a case to a unit (and a category) from the organisation's keywords.
//!
//! Every category and unit keyword found in the case text adds its weight to the
//! category or unit it belongs to, and each unit collects the weight of its own
//! keywords and of its categories'. A softmax over the units, with a "none of them"
//! candidate, turns the weights into a confidence for the best unit; the case is routed
//! when that confidence reaches [`ROUTE_THRESHOLD`], and goes to the triage unit
//! otherwise. A trained model can later replace the weights without changing the API.

#![allow(
    clippy::indexing_slicing,
    reason = "score and flag vectors are indexed by positions of the classifier's own units, categories and hits, enumerated from the same vectors"
)]

use palaute_core::{CaseStatus, Language, Organisation};

use crate::keyword::{Found, Keyword, Token};
use crate::text::normalize;

/// The lowest confidence at which a case is routed rather than sent to triage.
///
/// With the weights used here, evidence for a single unit must weigh at least 0.7 (a
/// five-letter keyword as written, a six-letter one as the head of a compound; not
/// "katu" inflected, not a keyword as a compound's modifier), and a unit must outweigh
/// its nearest rival by about a third of a keyword.
pub const ROUTE_THRESHOLD: f32 = 0.6;
/// The weight the "none of them" candidate has in the softmax: evidence must clearly
/// exceed it before any unit is likely.
const NO_MATCH_WEIGHT: f64 = 0.5;
/// Softmax temperature: smaller makes the confidence rise faster with the weight.
const TEMPERATURE: f64 = 0.5;
/// A category is named only when it outweighs the unit's next category this many times.
const CATEGORY_MARGIN: f32 = 1.5;
/// How many keywords a reason lists.
const KEYWORDS_IN_REASON: usize = 3;

/// The text of a case, as the classifier needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseText<'a> {
    pub title: Option<&'a str>,
    pub description: &'a str,
    /// The category the resident chose, if any. Codes the organisation does not know
    /// are ignored (the API rejects them before a case exists).
    pub category_code: Option<&'a str>,
    /// The language of the text where known (see [`crate::detect_language`]); when
    /// `None`, words are compared as Finnish, Swedish and English alike.
    pub language: Option<Language>,
}

/// Whether the case could be routed to a unit, or needs a person to direct it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Routed,
    NeedsTriage,
}

impl Outcome {
    /// The case status this outcome puts a new case in.
    pub fn status(self) -> CaseStatus {
        match self {
            Outcome::Routed => CaseStatus::Routed,
            Outcome::NeedsTriage => CaseStatus::NeedsTriage,
        }
    }
}

/// Where a case goes, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingDecision {
    /// The unit that receives the case: the triage unit when the outcome is
    /// [`Outcome::NeedsTriage`].
    pub unit_code: String,
    /// The category, when one was given or clearly recognised; always `None` for triage.
    pub category_code: Option<String>,
    pub outcome: Outcome,
    /// How sure the classifier is of the best unit it found, in `[0, 1]`: 1 for a given
    /// category, 0 when nothing matched. Cases are routed from [`ROUTE_THRESHOLD`] up;
    /// below it the value tells how close a triaged case came to being routed.
    pub confidence: f32,
    /// For the people who read the case: `category 171 was given`,
    /// `keyword "katulamppu" (as "katulampun") → category 180`, `no rule matched`.
    pub reason: String,
}

/// Routes cases by the keywords of an organisation's categories and units.
///
/// Built once from the organisation and reused for every case; classifying is pure and
/// deterministic.
#[derive(Debug, Clone)]
pub struct Classifier {
    rules: Vec<Rule>,
    units: Vec<String>,
    categories: Vec<CategoryTarget>,
    triage_unit: String,
}

#[derive(Debug, Clone)]
struct Rule {
    keyword: Keyword,
    target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Index into `Classifier::categories`.
    Category(usize),
    /// Index into `Classifier::units`.
    Unit(usize),
}

#[derive(Debug, Clone)]
struct CategoryTarget {
    code: String,
    /// Index into `Classifier::units` of the category's default unit.
    unit: usize,
}

/// A rule whose keyword was found, and how.
struct Hit<'a> {
    rule: &'a Rule,
    found: Found,
}

impl Hit<'_> {
    fn score(&self) -> f32 {
        self.rule.keyword.weight * self.found.strength.factor()
    }

    fn describe(&self) -> String {
        let keyword = &self.rule.keyword.source;
        if self.found.text == keyword.to_lowercase() {
            format!("{keyword:?}")
        } else {
            format!("{keyword:?} (as {:?})", self.found.text)
        }
    }
}

impl Classifier {
    pub fn new(organisation: &Organisation) -> Self {
        let units: Vec<String> = organisation
            .units
            .iter()
            .map(|unit| unit.code.clone())
            .collect();
        let unit_index = |code: &str| units.iter().position(|unit| unit == code);
        let mut rules = Vec::new();
        let mut categories = Vec::new();
        for category in &organisation.categories {
            // A validated organisation always has the default unit.
            let Some(unit) = unit_index(&category.default_unit) else {
                continue;
            };
            let target = Target::Category(categories.len());
            categories.push(CategoryTarget {
                code: category.code.clone(),
                unit,
            });
            rules.extend(
                category
                    .keywords
                    .iter()
                    .filter_map(|source| Keyword::new(source))
                    .map(|keyword| Rule { keyword, target }),
            );
        }
        for (index, unit) in organisation.units.iter().enumerate() {
            rules.extend(
                unit.keywords
                    .iter()
                    .filter_map(|source| Keyword::new(source))
                    .map(|keyword| Rule {
                        keyword,
                        target: Target::Unit(index),
                    }),
            );
        }
        Self {
            rules,
            units,
            categories,
            triage_unit: organisation.triage_unit.clone(),
        }
    }

    /// Decides where a case goes.
    pub fn classify(&self, case: &CaseText<'_>) -> RoutingDecision {
        if let Some(decision) = case
            .category_code
            .and_then(|code| self.given_category(code))
        {
            return decision;
        }
        let hits = self.find_keywords(case);
        let evidence = Evidence::weigh(self, &hits);
        let Some((best_unit, confidence)) = evidence.best_unit() else {
            return self.triage(0.0, "no rule matched".to_owned());
        };
        let category = evidence.clear_category(self, best_unit);
        let explanation = evidence.explain(self, best_unit, category);
        if confidence < ROUTE_THRESHOLD {
            let reason = match evidence.runner_up(best_unit) {
                Some(rival) => format!(
                    "unclear: {explanation} or {}",
                    evidence.explain(self, rival, evidence.clear_category(self, rival))
                ),
                None => format!("too little to go on: {explanation}"),
            };
            return self.triage(confidence, reason);
        }
        RoutingDecision {
            unit_code: self.units[best_unit].clone(),
            category_code: category.map(|index| self.categories[index].code.clone()),
            outcome: Outcome::Routed,
            confidence,
            reason: explanation,
        }
    }

    fn given_category(&self, code: &str) -> Option<RoutingDecision> {
        let category = self
            .categories
            .iter()
            .find(|category| category.code == code)?;
        Some(RoutingDecision {
            unit_code: self.units[category.unit].clone(),
            category_code: Some(category.code.clone()),
            outcome: Outcome::Routed,
            confidence: 1.0,
            reason: format!("category {code} was given"),
        })
    }

    fn triage(&self, confidence: f32, reason: String) -> RoutingDecision {
        RoutingDecision {
            unit_code: self.triage_unit.clone(),
            category_code: None,
            outcome: Outcome::NeedsTriage,
            confidence,
            reason,
        }
    }

    /// The strongest occurrence of each rule's keyword in the title and description.
    fn find_keywords(&self, case: &CaseText<'_>) -> Vec<Hit<'_>> {
        let all = [Language::Fi, Language::Sv, Language::En];
        let languages: &[Language] = match &case.language {
            Some(language) => std::slice::from_ref(language),
            None => &all,
        };
        let mut best: Vec<Option<Found>> = vec![None; self.rules.len()];
        // Title and description are searched apart, so that no phrase spans the two.
        for (part, text) in [title_not_repeated(case), case.description]
            .into_iter()
            .enumerate()
        {
            let tokens = Token::tokenize(text, languages);
            let mut explained = vec![false; tokens.len()];
            for (rule, best) in self.rules.iter().zip(best.iter_mut()) {
                if let Some(found) = rule.keyword.find_as_words(&tokens, part, languages) {
                    explained[found.tokens.clone()].fill(true);
                    keep_stronger(best, found);
                }
            }
            // Compound parts are looked for only in words no whole keyword explains:
            // "leikkipuisto" is a playground, not also a park.
            for (index, token) in tokens.iter().enumerate() {
                if explained[index] {
                    continue;
                }
                for (rule, best) in self.rules.iter().zip(best.iter_mut()) {
                    if let Some(strength) = rule.keyword.find_in_compound(token, languages) {
                        let found = Found {
                            strength,
                            text: token.text.clone(),
                            tokens: index..index + 1,
                            part,
                        };
                        keep_stronger(best, found);
                    }
                }
            }
        }
        self.rules
            .iter()
            .zip(best)
            .filter_map(|(rule, found)| {
                Some(Hit {
                    rule,
                    found: found?,
                })
            })
            .collect()
    }
}

impl<'a> CaseText<'a> {
    /// The words of the case, each counted once: the title (unless it only repeats the
    /// start of the description) followed by the description.
    pub fn combined_text(&self) -> String {
        match title_not_repeated(self) {
            "" => self.description.to_owned(),
            title => format!("{title}\n{}", self.description),
        }
    }
}

/// The title, unless it only repeats the start of the description (as in Open311
/// imports, where it is the description cut short: "Murtunut valli ja rikkoutun...").
/// Counting it again would give those keywords double weight.
pub(crate) fn title_not_repeated<'a>(case: &CaseText<'a>) -> &'a str {
    let Some(title) = case.title else {
        return "";
    };
    let shortened = title.trim().trim_end_matches(['.', '…']).trim_end();
    let description = case.description.trim_start();
    let repeated = description.starts_with(shortened)
        || (!shortened.is_empty() && normalize(description).starts_with(&normalize(shortened)));
    if repeated { "" } else { title }
}

/// Whether words overlapping `found` already count towards `target`.
fn is_counted(counted: &[(usize, &Found)], target: usize, found: &Found) -> bool {
    counted.iter().any(|(counted_target, counted)| {
        *counted_target == target
            && counted.part == found.part
            && counted.tokens.start < found.tokens.end
            && found.tokens.start < counted.tokens.end
    })
}

fn keep_stronger(best: &mut Option<Found>, found: Found) {
    if best
        .as_ref()
        .is_none_or(|best| found.strength > best.strength)
    {
        *best = Some(found);
    }
}

/// The weight of the keywords found, per unit and per category.
struct Evidence<'a> {
    hits: &'a [Hit<'a>],
    unit_scores: Vec<f32>,
    category_scores: Vec<f32>,
    /// Per hit: whether it counted towards its unit, and towards its category.
    counts_for_unit: Vec<bool>,
    counts_for_category: Vec<bool>,
}

impl<'a> Evidence<'a> {
    /// Each word of the text counts once towards a unit and once towards a category,
    /// with its strongest keyword: "tag" is not counted again for "tagg", nor
    /// "katuvalo" twice for the unit that has it both as its own and its category's
    /// keyword.
    fn weigh(classifier: &Classifier, hits: &'a [Hit<'a>]) -> Self {
        let mut unit_scores = vec![0.0; classifier.units.len()];
        let mut category_scores = vec![0.0; classifier.categories.len()];
        let mut counts_for_unit = vec![false; hits.len()];
        let mut counts_for_category = vec![false; hits.len()];
        let mut strongest_first: Vec<usize> = (0..hits.len()).collect();
        // Stable sort: equal scores keep the organisation's order.
        strongest_first.sort_by(|a, b| hits[*b].score().total_cmp(&hits[*a].score()));
        let mut counted_for_unit: Vec<(usize, &Found)> = Vec::new();
        let mut counted_for_category: Vec<(usize, &Found)> = Vec::new();
        for index in strongest_first {
            let hit = &hits[index];
            let unit = match hit.rule.target {
                Target::Category(category) => {
                    if !is_counted(&counted_for_category, category, &hit.found) {
                        category_scores[category] += hit.score();
                        counted_for_category.push((category, &hit.found));
                        counts_for_category[index] = true;
                    }
                    classifier.categories[category].unit
                }
                Target::Unit(unit) => unit,
            };
            if !is_counted(&counted_for_unit, unit, &hit.found) {
                unit_scores[unit] += hit.score();
                counted_for_unit.push((unit, &hit.found));
                counts_for_unit[index] = true;
            }
        }
        Self {
            hits,
            unit_scores,
            category_scores,
            counts_for_unit,
            counts_for_category,
        }
    }

    /// The unit with the most weight and its confidence; `None` when nothing matched.
    /// Of equally weighted units the first in the organisation is taken, but a tie
    /// never reaches the routing threshold.
    fn best_unit(&self) -> Option<(usize, f32)> {
        let (best, &score) = self
            .unit_scores
            .iter()
            .enumerate()
            .filter(|(_, score)| **score > 0.0)
            .fold(
                None,
                |best: Option<(usize, &f32)>, (index, score)| match best {
                    Some((_, best_score)) if best_score >= score => best,
                    _ => Some((index, score)),
                },
            )?;
        Some((best, self.confidence_of(score)))
    }

    /// A softmax over the units with any weight and a "none of them" candidate.
    fn confidence_of(&self, score: f32) -> f32 {
        let scaled = |weight: f64| weight / TEMPERATURE;
        let candidates = self.unit_scores.iter().filter(|score| **score > 0.0);
        let highest = candidates
            .clone()
            .map(|score| scaled(f64::from(*score)))
            .fold(scaled(NO_MATCH_WEIGHT), f64::max);
        // Subtracting the highest keeps exp() finite however much evidence there is.
        let share = |weight: f64| (scaled(weight) - highest).exp();
        let total = share(NO_MATCH_WEIGHT)
            + candidates
                .map(|score| share(f64::from(*score)))
                .sum::<f64>();
        (share(f64::from(score)) / total).clamp(0.0, 1.0) as f32
    }

    /// The unit with the most weight after `unit`.
    fn runner_up(&self, unit: usize) -> Option<usize> {
        self.unit_scores
            .iter()
            .enumerate()
            .filter(|(index, score)| *index != unit && **score > 0.0)
            .fold(
                None,
                |best: Option<(usize, f32)>, (index, score)| match best {
                    Some((_, best_score)) if best_score >= *score => best,
                    _ => Some((index, *score)),
                },
            )
            .map(|(index, _)| index)
    }

    /// The unit's category with the most weight, when it clearly outweighs the others.
    fn clear_category(&self, classifier: &Classifier, unit: usize) -> Option<usize> {
        let mut scores: Vec<(usize, f32)> = classifier
            .categories
            .iter()
            .enumerate()
            .filter(|(index, category)| category.unit == unit && self.category_scores[*index] > 0.0)
            .map(|(index, _)| (index, self.category_scores[index]))
            .collect();
        // Stable sort: equal weights keep the organisation's order.
        scores.sort_by(|a, b| b.1.total_cmp(&a.1));
        match scores.as_slice() {
            [] => None,
            [(only, _)] => Some(*only),
            [(best, best_score), (_, next_score), ..] => {
                (*best_score >= CATEGORY_MARGIN * next_score).then_some(*best)
            }
        }
    }

    /// `keywords "kuoppa", "asfaltti" → category 171`, strongest keywords first.
    fn explain(&self, classifier: &Classifier, unit: usize, category: Option<usize>) -> String {
        let mut hits: Vec<&Hit<'_>> = self
            .hits
            .iter()
            .enumerate()
            .filter(|(index, hit)| match (hit.rule.target, category) {
                (Target::Category(of), Some(chosen)) => {
                    of == chosen && self.counts_for_category[*index]
                }
                (Target::Category(of), None) => {
                    classifier.categories[of].unit == unit && self.counts_for_unit[*index]
                }
                (Target::Unit(of), _) => of == unit && self.counts_for_unit[*index],
            })
            .map(|(_, hit)| hit)
            .collect();
        hits.sort_by(|a, b| b.score().total_cmp(&a.score()));
        let listed: Vec<String> = hits
            .iter()
            .take(KEYWORDS_IN_REASON)
            .map(|hit| hit.describe())
            .collect();
        let noun = if listed.len() == 1 {
            "keyword"
        } else {
            "keywords"
        };
        let target = match category {
            Some(index) => format!("category {}", classifier.categories[index].code),
            None => format!("unit {}", classifier.units[unit]),
        };
        format!("{noun} {} → {target}", listed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        Classifier::new(&Organisation::helsinki())
    }

    fn classify(description: &str, language: Option<Language>) -> RoutingDecision {
        classifier().classify(&CaseText {
            description,
            language,
            ..CaseText::default()
        })
    }

    fn assert_routed(decision: &RoutingDecision, unit: &str, category: Option<&str>) {
        assert_eq!(decision.outcome, Outcome::Routed, "{decision:?}");
        assert_eq!(decision.unit_code, unit, "{decision:?}");
        assert_eq!(decision.category_code.as_deref(), category, "{decision:?}");
        assert!(
            decision.confidence >= ROUTE_THRESHOLD && decision.confidence <= 1.0,
            "{decision:?}"
        );
    }

    #[test]
    fn finnish_street_light_goes_to_other_issues() {
        let decision = classify("Katulamppu on rikki Mannerheimintiellä", Some(Language::Fi));
        assert_routed(&decision, "rakennusvirasto", Some("180"));
        assert_eq!(decision.reason, "keyword \"katulamppu\" → category 180");
    }

    #[test]
    fn inflected_finnish_keyword_is_named_with_its_form() {
        let decision = classify("Katulampun lasi on rikki", Some(Language::Fi));
        assert_routed(&decision, "rakennusvirasto", Some("180"));
        assert_eq!(
            decision.reason,
            "keyword \"katulamppu\" (as \"katulampun\") → category 180"
        );
    }

    #[test]
    fn pothole_goes_to_street_condition() {
        assert_routed(
            &classify("Tiessä on iso kuoppa", Some(Language::Fi)),
            "rakennusvirasto",
            Some("171"),
        );
        assert_routed(
            &classify("Tiessä on iso kuoppa", None),
            "rakennusvirasto",
            Some("171"),
        );
    }

    #[test]
    fn swedish_and_english_texts_find_their_categories() {
        assert_routed(
            &classify("Gatlyktan är trasig", Some(Language::Sv)),
            "rakennusvirasto",
            Some("180"),
        );
        assert_routed(
            &classify("There is graffiti on the wall", Some(Language::En)),
            "rakennusvirasto",
            Some("176"),
        );
        assert_routed(
            &classify("Two potholes near the bus stop", None),
            "rakennusvirasto",
            Some("171"),
        );
    }

    #[test]
    fn unit_keywords_route_to_the_unit_without_a_category() {
        let decision = classify(
            "Päiväkodin pihalla ei ole tarpeeksi valvontaa",
            Some(Language::Fi),
        );
        assert_routed(&decision, "varhaiskasvatusvirasto", None);
        assert!(decision.reason.contains("päiväkodin"), "{decision:?}");
    }

    #[test]
    fn thanks_without_any_keyword_needs_triage() {
        let decision = classify("Hei, kiitos hyvästä palvelusta", Some(Language::Fi));
        assert_eq!(decision.outcome, Outcome::NeedsTriage);
        assert_eq!(decision.unit_code, "triage");
        assert_eq!(decision.category_code, None);
        assert_eq!(decision.confidence, 0.0);
        assert_eq!(decision.reason, "no rule matched");
        assert_eq!(decision.outcome.status(), CaseStatus::NeedsTriage);
    }

    #[test]
    fn evidence_split_between_units_needs_triage() {
        // One keyword for the library, one of about the same weight for the youth department.
        let decision = classify("kirjasto nuoriso", Some(Language::Fi));
        assert_eq!(decision.outcome, Outcome::NeedsTriage, "{decision:?}");
        assert_eq!(decision.unit_code, "triage");
        assert!(decision.confidence < ROUTE_THRESHOLD);
        assert!(decision.reason.starts_with("unclear: "), "{decision:?}");
    }

    #[test]
    fn a_weak_hint_alone_needs_triage() {
        let decision = classify("Uusi tag seinässä", Some(Language::Fi));
        assert_eq!(decision.outcome, Outcome::NeedsTriage, "{decision:?}");
        assert!(decision.confidence > 0.0);
        assert!(
            decision.reason.starts_with("too little to go on: "),
            "{decision:?}"
        );
    }

    #[test]
    fn given_category_wins_over_keywords() {
        let decision = classifier().classify(&CaseText {
            title: Some("Katulamppu"),
            description: "Katulamppu on rikki",
            category_code: Some("171"),
            language: Some(Language::Fi),
        });
        assert_routed(&decision, "rakennusvirasto", Some("171"));
        assert_eq!(decision.confidence, 1.0);
        assert_eq!(decision.reason, "category 171 was given");
    }

    #[test]
    fn unknown_given_category_is_ignored() {
        let decision = classifier().classify(&CaseText {
            description: "Katulamppu on rikki",
            category_code: Some("9999"),
            ..CaseText::default()
        });
        assert_routed(&decision, "rakennusvirasto", Some("180"));
    }

    #[test]
    fn more_evidence_means_more_confidence() {
        let one = classify("Tiessä on kuoppa", Some(Language::Fi));
        let two = classify("Tiessä on kuoppa ja asfaltti on rikki", Some(Language::Fi));
        assert!(two.confidence > one.confidence, "{one:?} {two:?}");
        assert_routed(&two, "rakennusvirasto", Some("171"));
    }

    #[test]
    fn compound_heads_do_not_double_count() {
        // "leikkipuisto" is a playground keyword; "puisto" (parks) inside it is ignored.
        let decision = classify("Leikkipuistossa on rikkinäinen keinu", Some(Language::Fi));
        assert_routed(&decision, "rakennusvirasto", Some("211"));
    }

    #[test]
    fn a_title_that_repeats_the_description_counts_once() {
        let classifier = classifier();
        let with_title = classifier.classify(&CaseText {
            title: Some("Kirjaston edessä on kuoppa..."),
            description: "Kirjaston edessä on kuoppa ja iso kuoppa",
            ..CaseText::default()
        });
        let without_title = classifier.classify(&CaseText {
            description: "Kirjaston edessä on kuoppa ja iso kuoppa",
            ..CaseText::default()
        });
        assert_eq!(with_title, without_title);
        let distinct_title = classifier.classify(&CaseText {
            title: Some("Katulamppu"),
            description: "Lamppu ei pala",
            ..CaseText::default()
        });
        assert_routed(&distinct_title, "rakennusvirasto", Some("180"));
    }

    #[test]
    fn classification_is_deterministic() {
        let classifier = classifier();
        let case = CaseText {
            title: Some("Roskat ja töhryt"),
            description: "Puistossa on roskia ja graffiteja, penkki rikottu",
            category_code: None,
            language: None,
        };
        let first = classifier.classify(&case);
        for _ in 0..5 {
            assert_eq!(classifier.classify(&case), first);
        }
        assert_eq!(
            Classifier::new(&Organisation::helsinki()).classify(&case),
            first
        );
    }
}
