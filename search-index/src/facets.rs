//! Counts the matching cases per value of the exact-match fields, from their fast columns.

use std::collections::HashMap;
use std::io;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::query::Facets;
use crate::schema;

/// The faceted fields, in the order of [`FacetCounts`].
const FACETED: [&str; 5] = [
    schema::UNIT_CODE,
    schema::CATEGORY_CODE,
    schema::STATUS,
    schema::CHANNEL,
    schema::LANGUAGE,
];

/// Per faceted field, the count of each value.
pub(crate) type FacetCounts = [HashMap<String, u64>; FACETED.len()];

pub(crate) struct FacetCollector;

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = SegmentFacetCollector;

    fn for_segment(
        &self,
        _segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCollector> {
        let mut columns = Vec::with_capacity(FACETED.len());
        for field in FACETED {
            // A segment where no case has, say, a unit has no column for it.
            let column = segment.fast_fields().str(field)?;
            let counts = vec![0; column.as_ref().map_or(0, |column| column.num_terms())];
            columns.push((column, counts));
        }
        Ok(SegmentFacetCollector { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segment_fruits: Vec<io::Result<FacetCounts>>,
    ) -> tantivy::Result<FacetCounts> {
        let mut merged = FacetCounts::default();
        for segment_counts in segment_fruits {
            for (total, counts) in merged.iter_mut().zip(segment_counts?) {
                for (value, count) in counts {
                    *total.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

/// Counts term ordinals while collecting; ordinals become strings once, at harvest.
pub(crate) struct SegmentFacetCollector {
    columns: Vec<(Option<StrColumn>, Vec<u64>)>,
}

impl SegmentCollector for SegmentFacetCollector {
    type Fruit = io::Result<FacetCounts>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in &mut self.columns {
            let Some(column) = column else { continue };
            for ord in column.term_ords(doc) {
                if let Some(count) = usize::try_from(ord)
                    .ok()
                    .and_then(|ord| counts.get_mut(ord))
                {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> io::Result<FacetCounts> {
        let mut harvested = FacetCounts::default();
        for ((column, counts), values) in self.columns.into_iter().zip(&mut harvested) {
            let Some(column) = column else { continue };
            for (ord, count) in counts.into_iter().enumerate() {
                if count == 0 {
                    continue;
                }
                let mut value = String::new();
                if column.ord_to_str(ord as u64, &mut value)? {
                    values.insert(value, count);
                }
            }
        }
        Ok(harvested)
    }
}

impl From<FacetCounts> for Facets {
    fn from(counts: FacetCounts) -> Self {
        let [unit_code, category_code, status, channel, language] = counts.map(most_frequent_first);
        Facets {
            unit_code,
            category_code,
            status,
            channel,
            language,
        }
    }
}

fn most_frequent_first(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|(value_a, count_a), (value_b, count_b)| {
        count_b.cmp(count_a).then_with(|| value_a.cmp(value_b))
    });
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_sort_by_count_then_value() {
        let counts = HashMap::from([
            ("b".to_owned(), 2),
            ("a".to_owned(), 2),
            ("c".to_owned(), 5),
        ]);
        assert_eq!(
            most_frequent_first(counts),
            [
                ("c".to_owned(), 5),
                ("a".to_owned(), 2),
                ("b".to_owned(), 2)
            ]
        );
    }
}
