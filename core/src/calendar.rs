//! Working time in Helsinki: which days are working days (Monday to Friday, less
//! Finnish public holidays), which hours of them count (08:00–16:00 unless configured),
//! and arithmetic over that time, for deadlines that promise "5 working days".
//!
//! All instants are UTC; each day's working hours are turned into UTC through the
//! Europe/Helsinki rules for that date, so a working day is always its configured
//! length whatever the clocks did (summer time starts and ends on a Sunday at 03:00 or
//! 04:00 local time, never inside working hours, but nothing here relies on that).

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Europe::Helsinki;

/// The days and hours that count as working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    start: NaiveTime,
    end: NaiveTime,
}

/// Why working hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("working hours must start before they end ({start} is not before {end})")]
    EmptyDay { start: NaiveTime, end: NaiveTime },
}

impl Default for Calendar {
    /// Office hours 08:00–16:00.
    fn default() -> Self {
        Self {
            start: NaiveTime::MIN + Duration::hours(8),
            end: NaiveTime::MIN + Duration::hours(16),
        }
    }
}

impl Calendar {
    /// Working hours from `start` to `end` (local Helsinki time) on every working day.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, CalendarError> {
        if start >= end {
            return Err(CalendarError::EmptyDay { start, end });
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> NaiveTime {
        self.start
    }

    pub fn end(&self) -> NaiveTime {
        self.end
    }

    /// How long one working day is: a deadline of N working days is N times this.
    pub fn working_day(&self) -> Duration {
        self.end - self.start
    }

    /// Monday to Friday, unless a Finnish public holiday (or Midsummer Eve).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(date)
    }

    /// The instant `amount` of working time after `from`. Time outside working hours
    /// does not count, so from a Saturday night the clock starts on Monday morning. A
    /// result that falls exactly at the end of a working day is that end (16:00), not
    /// the next morning.
    pub fn add(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        let mut remaining = amount.max(Duration::zero());
        let mut date = local_date(from);
        loop {
            if let Some((start, end)) = self.working_interval(date) {
                let begin = start.max(from);
                if begin < end {
                    let available = end - begin;
                    if remaining <= available {
                        return begin + remaining;
                    }
                    remaining -= available;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                // Past chrono's last date: as good as never.
                None => return DateTime::<Utc>::MAX_UTC,
            }
        }
    }

    /// The instant `amount` of working time before `from` (the mirror of [`add`]); a
    /// result that falls exactly at the start of a working day is that start (08:00).
    ///
    /// [`add`]: Calendar::add
    pub fn subtract(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        let mut remaining = amount.max(Duration::zero());
        let mut date = local_date(from);
        loop {
            if let Some((start, end)) = self.working_interval(date) {
                let stop = end.min(from);
                if start < stop {
                    let available = stop - start;
                    if remaining <= available {
                        return stop - remaining;
                    }
                    remaining -= available;
                }
            }
            match date.pred_opt() {
                Some(previous) => date = previous,
                None => return DateTime::<Utc>::MIN_UTC,
            }
        }
    }

    /// `days` working days after `from`: `days` times the working day's length.
    pub fn add_working_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        self.add(from, self.working_day() * days as i32)
    }

    /// `hours` working hours after `from`.
    pub fn add_working_hours(&self, from: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        self.add(from, Duration::hours(i64::from(hours)))
    }

    /// The working time between two instants; zero when `to` is not after `from`.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let last = local_date(to);
        let mut date = local_date(from);
        while date <= last {
            if let Some((start, end)) = self.working_interval(date) {
                let begin = start.max(from);
                let stop = end.min(to);
                if begin < stop {
                    total += stop - begin;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }

    /// The working hours of `date` as UTC instants, or `None` on a day off.
    fn working_interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return None;
        }
        Some((
            helsinki_to_utc(date.and_time(self.start)),
            helsinki_to_utc(date.and_time(self.end)),
        ))
    }
}

/// The Helsinki calendar date of an instant.
fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Helsinki).date_naive()
}

/// A Helsinki wall-clock time as a UTC instant. A time the clocks skip (spring
/// forward) is read as the first moment after the gap; a time that happens twice
/// (fall back) as its first occurrence.
fn helsinki_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // Gaps in Europe/Helsinki are one hour; a minute step finds the end of any gap.
    for _ in 0..=180 {
        if let Some(at) = Helsinki.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += Duration::minutes(1);
    }
    // Unreachable with real time-zone data; read the wall clock as winter time.
    Utc.from_utc_datetime(&(local - Duration::hours(2)))
}

/// Whether `date` is a Finnish public holiday, or Midsummer Eve, which is not one by
/// law but on which offices are closed.
pub fn is_public_holiday(date: NaiveDate) -> bool {
    public_holidays(date.year()).contains(&date)
}

/// Finland's days off of `year` that can fall on a weekday, in date order: New Year's
/// Day, Epiphany, Good Friday, Easter Monday, May Day, Ascension Day, Midsummer Eve,
/// Midsummer Day, All Saints' Day, Independence Day, Christmas Eve, Christmas Day and
/// Boxing Day. (Easter Sunday and Whit Sunday are always Sundays; Midsummer Day and
/// All Saints' Day always Saturdays, listed anyway for completeness.)
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day);
    let mut days: Vec<NaiveDate> = [
        fixed(1, 1),
        fixed(1, 6),
        fixed(5, 1),
        fixed(12, 6),
        fixed(12, 24),
        fixed(12, 25),
        fixed(12, 26),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(easter) = easter_sunday(year) {
        days.push(easter - Duration::days(2));
        days.push(easter + Duration::days(1));
        days.push(easter + Duration::days(39));
    }
    let midsummer_eve = first_weekday_from(year, 6, 19, Weekday::Fri);
    days.extend(midsummer_eve);
    days.extend(midsummer_eve.and_then(|eve| eve.succ_opt()));
    days.extend(first_weekday_from(year, 10, 31, Weekday::Sat));
    days.sort();
    days
}

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous Gregorian
/// computus (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n / 31).ok()?;
    let day = u32::try_from(n % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The first `weekday` on or after `month`/`day` of `year`.
fn first_weekday_from(year: i32, month: u32, day: u32, weekday: Weekday) -> Option<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(year, month, day)?;
    let ahead = (7 + weekday.num_days_from_monday() - start.weekday().num_days_from_monday()) % 7;
    start.checked_add_signed(Duration::days(i64::from(ahead)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    /// A Helsinki wall-clock time as UTC.
    fn hki(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Helsinki
            .with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn easter_by_the_computus() {
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        // Earliest and latest possible Easters, and a year of the 1900s.
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter_sunday(1999), Some(date(1999, 4, 4)));
    }

    #[test]
    fn finnish_holidays_of_2026() {
        let expected = [
            date(2026, 1, 1),   // New Year's Day, Thursday
            date(2026, 1, 6),   // Epiphany, Tuesday
            date(2026, 4, 3),   // Good Friday
            date(2026, 4, 6),   // Easter Monday
            date(2026, 5, 1),   // May Day, Friday
            date(2026, 5, 14),  // Ascension Day, Thursday
            date(2026, 6, 19),  // Midsummer Eve, Friday
            date(2026, 6, 20),  // Midsummer Day, Saturday
            date(2026, 10, 31), // All Saints' Day, Saturday
            date(2026, 12, 6),  // Independence Day, Sunday
            date(2026, 12, 24), // Christmas Eve, Thursday
            date(2026, 12, 25),
            date(2026, 12, 26),
        ];
        assert_eq!(public_holidays(2026), expected);
    }

    #[test]
    fn midsummer_and_all_saints_move_with_the_week() {
        // 19 June 2026 is a Friday; in 2027 the Friday in 19–25 June is the 25th.
        assert!(is_public_holiday(date(2026, 6, 19)));
        assert!(!is_public_holiday(date(2026, 6, 26)));
        assert!(is_public_holiday(date(2027, 6, 25)));
        assert!(!is_public_holiday(date(2027, 6, 18)));
        // All Saints' Day: Saturday 31 October 2026, Saturday 6 November 2027.
        assert!(is_public_holiday(date(2026, 10, 31)));
        assert!(is_public_holiday(date(2027, 11, 6)));
        assert!(!is_public_holiday(date(2027, 10, 31)));
        // Ascension Day 2027: Easter 28 March + 39 days = Thursday 6 May.
        assert!(is_public_holiday(date(2027, 5, 6)));
        assert_eq!(date(2027, 5, 6).weekday(), Weekday::Thu);
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let calendar = Calendar::default();
        assert!(calendar.is_working_day(date(2026, 6, 18)));
        assert!(!calendar.is_working_day(date(2026, 6, 19)));
        assert!(!calendar.is_working_day(date(2026, 6, 21)));
        assert!(calendar.is_working_day(date(2026, 6, 22)));
    }

    #[test]
    fn a_day_within_working_hours_lands_on_the_same_time_next_working_day() {
        let calendar = Calendar::default();
        // Wednesday 10:00 + 1 working day = Thursday 10:00.
        assert_eq!(
            calendar.add_working_days(hki(2026, 9, 9, 10, 0), 1),
            hki(2026, 9, 10, 10, 0)
        );
        // Monday 10:00 + 5 working days = next Monday 10:00.
        assert_eq!(
            calendar.add_working_days(hki(2026, 9, 7, 10, 0), 5),
            hki(2026, 9, 14, 10, 0)
        );
        assert_eq!(
            calendar.add_working_hours(hki(2026, 9, 7, 15, 0), 3),
            hki(2026, 9, 8, 10, 0)
        );
    }

    #[test]
    fn a_submission_on_saturday_night_starts_the_clock_on_monday_morning() {
        let calendar = Calendar::default();
        let saturday_night = hki(2026, 9, 12, 23, 30);
        // 5 working days = 40 hours from Monday 08:00: the end of Friday.
        assert_eq!(
            calendar.add_working_days(saturday_night, 5),
            hki(2026, 9, 18, 16, 0)
        );
        assert_eq!(
            calendar.add_working_hours(saturday_night, 1),
            hki(2026, 9, 14, 9, 0)
        );
        assert_eq!(
            calendar.working_time_between(saturday_night, hki(2026, 9, 14, 9, 30)),
            Duration::minutes(90)
        );
    }

    #[test]
    fn midsummer_eve_is_not_counted() {
        let calendar = Calendar::default();
        // Thursday 18 June 2026 12:00 + 1 working day: Friday is Midsummer Eve, so
        // Monday 22 June 12:00.
        assert_eq!(
            calendar.add_working_days(hki(2026, 6, 18, 12, 0), 1),
            hki(2026, 6, 22, 12, 0)
        );
    }

    #[test]
    fn a_deadline_crossing_christmas_and_new_year() {
        let calendar = Calendar::default();
        // Wednesday 23 December 2026 14:00. Working days after it: Mon 28, Tue 29,
        // Wed 30, Thu 31 December, (Fri 1 January is New Year's Day), Mon 4 January,
        // (Tue 5), (Wed 6 is Epiphany). 5 working days = 2 h on the 23rd, then the
        // 28th–31st (32 h) and 6 h on 4 January: 14:00 on Monday 4 January 2027.
        let from = hki(2026, 12, 23, 14, 0);
        let due = calendar.add_working_days(from, 5);
        assert_eq!(due, hki(2027, 1, 4, 14, 0));
        assert_eq!(
            calendar.working_time_between(from, due),
            Duration::hours(40)
        );
        // Back again from the due time, one working day: Thursday 31 December 14:00.
        assert_eq!(
            calendar.subtract(due, calendar.working_day()),
            hki(2026, 12, 31, 14, 0)
        );
        // Ten working days: the 6th is Epiphany, so Tuesday 12 January.
        assert_eq!(calendar.add_working_days(from, 10), hki(2027, 1, 12, 14, 0));
    }

    #[test]
    fn a_deadline_crossing_the_change_to_summer_time() {
        let calendar = Calendar::default();
        // Clocks go forward on Sunday 29 March 2026. Friday 27 March 10:00 is 08:00
        // UTC (UTC+2); Monday 30 March 10:00 is 07:00 UTC (UTC+3).
        let from = hki(2026, 3, 27, 10, 0);
        assert_eq!(from, utc(2026, 3, 27, 8, 0));
        let due = calendar.add_working_days(from, 1);
        assert_eq!(due, utc(2026, 3, 30, 7, 0));
        assert_eq!(calendar.working_time_between(from, due), Duration::hours(8));
        assert_eq!(calendar.subtract(due, Duration::hours(8)), from);
    }

    #[test]
    fn a_deadline_crossing_the_change_to_winter_time() {
        let calendar = Calendar::default();
        // Clocks go back on Sunday 25 October 2026. Friday 23 October 15:00 is 12:00
        // UTC (UTC+3); Monday 26 October 15:00 is 13:00 UTC (UTC+2).
        let from = hki(2026, 10, 23, 15, 0);
        assert_eq!(from, utc(2026, 10, 23, 12, 0));
        let due = calendar.add_working_days(from, 1);
        assert_eq!(due, utc(2026, 10, 26, 13, 0));
        assert_eq!(calendar.working_time_between(from, due), Duration::hours(8));
    }

    #[test]
    fn exact_ends_of_the_day_stay_on_their_day() {
        let calendar = Calendar::default();
        // Thursday 08:00 + 2 working days: the end of Friday, not Monday morning.
        assert_eq!(
            calendar.add_working_days(hki(2026, 9, 10, 8, 0), 2),
            hki(2026, 9, 11, 16, 0)
        );
        // Friday 16:00 - 1 working day: the start of Friday.
        assert_eq!(
            calendar.subtract(hki(2026, 9, 11, 16, 0), Duration::hours(8)),
            hki(2026, 9, 11, 8, 0)
        );
        // Nothing to add: the next working moment.
        assert_eq!(
            calendar.add(hki(2026, 9, 12, 12, 0), Duration::zero()),
            hki(2026, 9, 14, 8, 0)
        );
    }

    #[test]
    fn working_time_between_counts_only_working_hours() {
        let calendar = Calendar::default();
        // Friday 15:00 to Tuesday 09:00: 1 h + 8 h + 1 h.
        assert_eq!(
            calendar.working_time_between(hki(2026, 9, 11, 15, 0), hki(2026, 9, 15, 9, 0)),
            Duration::hours(10)
        );
        assert_eq!(
            calendar.working_time_between(hki(2026, 9, 15, 9, 0), hki(2026, 9, 11, 15, 0)),
            Duration::zero()
        );
    }

    #[test]
    fn configured_hours_are_used() {
        let calendar = Calendar::new(
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(calendar.working_day(), Duration::minutes(510));
        assert_eq!(
            calendar.add_working_hours(hki(2026, 9, 7, 17, 0), 1),
            hki(2026, 9, 8, 9, 30)
        );
        assert!(Calendar::new(calendar.end(), calendar.start()).is_err());
    }
}
