//! Hostile text for fuzz tests: seeded, so a failure reproduces from the printed seed.
//!
//! Each case starts from a seed text (real queries and known attacks) and applies a few
//! mutations that parsers find hard: bursts of brackets and operators, repeated
//! slices, splices of two seeds, stray quotes and comments, and arbitrary characters.

/// How many cases to run: `PALAUTE_FUZZ_CASES`, else `default` (what CI runs).
pub fn cases_from_env(default: usize) -> usize {
    std::env::var("PALAUTE_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The seed to replay (`PALAUTE_FUZZ_SEED`), else a new one from the clock. Print it.
pub fn seed_from_env() -> u64 {
    std::env::var("PALAUTE_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64)
        })
}

/// A small, fast, seeded generator (xorshift64*): no dependency, same sequence on
/// every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        (self.next_u64() % bound as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Pieces that mean something to GraphQL, JSON or a search parser.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "$x",
    "...",
    "... on Query ",
    "fragment F on Query ",
    "...F",
    "query ",
    "mutation ",
    "subscription ",
    "@skip(if: true)",
    "@include(if: $x)",
    "\"",
    "\"\"\"",
    "\\",
    "#",
    "\n",
    "\r",
    ",",
    "=",
    "!",
    "&",
    "|",
    "__typename",
    "__schema",
    "__type(name: \"Query\")",
    "null",
    "true",
    "-1e309",
    "1e400",
    "99999999999999999999",
    "FI",
    "WEB",
    "submitFeedback",
    "search",
    "cases",
    "units",
    "trackCase",
    "categories",
    "NOT ",
    "AND ",
    "OR ",
    "-",
    "+",
    "*",
    "?",
    "~2",
    "^3",
    "text_fi:",
    "reference:",
    "TO",
    "\u{0}",
    "\u{202E}",
    "\u{FEFF}",
    "ä",
    "Å",
    "😀",
    "\u{10FFFF}",
    "%00",
    "'",
    "<",
    ">",
];

/// Turns one of `seeds` into a new case with one to four mutations.
pub fn mutate(rng: &mut Rng, seeds: &[&str]) -> String {
    let mut text: String = rng.pick(seeds).copied().unwrap_or_default().to_owned();
    for _ in 0..=rng.below(4) {
        text = mutate_once(rng, &text, seeds);
    }
    text
}

fn mutate_once(rng: &mut Rng, text: &str, seeds: &[&str]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let (before, after) = chars.split_at(at);
    let before: String = before.iter().collect();
    let after: String = after.iter().collect();
    match rng.below(8) {
        // A burst: one token repeated, up to thousands of times.
        0 => {
            let token = rng.pick(TOKENS).copied().unwrap_or("(");
            let times = [2, 10, 100, 1_000, 3_000][rng.below(5)];
            format!("{before}{}{after}", token.repeat(times))
        }
        // Nesting that closes again, so the text may still parse.
        1 => {
            let (open, close) = [("[", "]"), ("{a:", "}"), ("{ a ", "}"), ("(", ")")][rng.below(4)];
            let times = [5, 33, 200, 2_000][rng.below(4)];
            format!(
                "{before}{}{}{after}",
                open.repeat(times),
                close.repeat(times)
            )
        }
        // A token.
        2 | 3 => {
            let token = rng.pick(TOKENS).copied().unwrap_or("");
            format!("{before}{token}{after}")
        }
        // A slice deleted.
        4 => {
            let end = (at + rng.below(20)).min(chars.len());
            let removed: String = chars.get(end..).unwrap_or_default().iter().collect();
            format!("{before}{removed}")
        }
        // A slice repeated.
        5 => {
            let end = (at + 1 + rng.below(30)).min(chars.len());
            let slice: String = chars.get(at..end).unwrap_or_default().iter().collect();
            let times = [2, 8, 64][rng.below(3)];
            format!("{before}{}{after}", slice.repeat(times))
        }
        // Spliced with another seed.
        6 => {
            let other = rng.pick(seeds).copied().unwrap_or_default();
            let other: Vec<char> = other.chars().collect();
            let from = rng.below(other.len() + 1);
            let tail: String = other.get(from..).unwrap_or_default().iter().collect();
            format!("{before}{tail}")
        }
        // Arbitrary characters, control and astral ones included.
        _ => {
            let random: String = (0..1 + rng.below(8))
                .filter_map(|_| char::from_u32(rng.below(0x11_0000) as u32))
                .collect();
            format!("{before}{random}{after}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cases() {
        let seeds = ["{ units { code } }", "mutation { x }"];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutate(&mut rng, &seeds))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
