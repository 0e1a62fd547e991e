//! The figures as the page and the CSV file both show them: the store's sparse counts
//! made a dense week × channel table over the channels that had cases.

use palaute_core::Channel;
use palaute_store::{ServiceFigures, StatsRow};

pub struct Figures {
    /// Every week of the period, oldest first (`2026-W05`).
    pub weeks: Vec<String>,
    /// The channels with cases in the period, in `Channel::ALL`'s order.
    pub channels: Vec<Channel>,
    /// `counts[channel][week]`, in the order of `channels` and `weeks`.
    pub counts: Vec<Vec<u64>>,
    pub total: StatsRow,
}

impl Figures {
    pub fn from_store(figures: ServiceFigures) -> Self {
        let channel_of = |code: &str| Channel::from_code(code).unwrap_or(Channel::Other);
        let channels: Vec<Channel> = Channel::ALL
            .iter()
            .copied()
            .filter(|channel| {
                figures
                    .cases_by_week_and_channel
                    .iter()
                    .any(|count| channel_of(&count.channel) == *channel)
            })
            .collect();
        let mut counts = vec![vec![0; figures.weeks.len()]; channels.len()];
        for count in &figures.cases_by_week_and_channel {
            let channel = channels
                .iter()
                .position(|channel| *channel == channel_of(&count.channel));
            let week = figures.weeks.iter().position(|week| *week == count.week);
            if let (Some(channel), Some(week)) = (channel, week)
                && let Some(cell) = counts.get_mut(channel).and_then(|row| row.get_mut(week))
            {
                *cell += count.cases;
            }
        }
        Self {
            weeks: figures.weeks,
            channels,
            counts,
            total: figures.total,
        }
    }

    /// Cases of one week over every channel.
    pub fn week_total(&self, week: usize) -> u64 {
        self.counts
            .iter()
            .map(|row| row.get(week).copied().unwrap_or(0))
            .sum()
    }

    /// Cases of one channel over the period.
    pub fn channel_total(&self, channel: usize) -> u64 {
        self.counts.get(channel).map_or(0, |row| row.iter().sum())
    }

    /// The share of cases resolved within their deadline, among the resolution
    /// deadlines decided (met, or passed); `None` when none is.
    pub fn resolved_on_time_share(&self) -> Option<f64> {
        self.total
            .deadlines
            .and_then(|deadlines| deadlines.resolution_on_time_share())
    }
}

#[cfg(test)]
mod tests {
    use palaute_store::WeekChannelCount;

    use super::*;

    #[test]
    fn sparse_counts_become_a_dense_table_of_the_channels_seen() {
        let count = |week: &str, channel: &str, cases| WeekChannelCount {
            week: week.into(),
            channel: channel.into(),
            cases,
        };
        let figures = Figures::from_store(ServiceFigures {
            weeks: vec!["2026-W01".into(), "2026-W02".into(), "2026-W03".into()],
            cases_by_week_and_channel: vec![
                count("2026-W01", "phone", 2),
                count("2026-W03", "web", 1),
                count("2026-W03", "phone", 4),
            ],
            total: StatsRow::default(),
        });
        assert_eq!(figures.channels, [Channel::Web, Channel::Phone]);
        assert_eq!(figures.counts, [vec![0, 0, 1], vec![2, 0, 4]]);
        assert_eq!(figures.week_total(2), 5);
        assert_eq!(figures.channel_total(1), 6);
        assert_eq!(figures.resolved_on_time_share(), None);
    }
}
