//! The staff search language, parsed here so that tantivy's query grammar never sees user
//! text.
//!
//! The language: words, `"phrases"`, `AND`, `OR`, `NOT`, a leading `-` (exclude) or `+`
//! (required, which words already are), and parentheses. Every other character is ordinary
//! text that the analyzers split into words: `12:30` is the phrase "12 30", `text_fi:*` the
//! phrase "text fi", `^2` the word "2". Words without a letter or digit (`*`, `?`, `~`, `{`)
//! are ignored. Repairs rather than errors: an unclosed `"` or `(` ends with the text, a
//! stray `)` and an operator with nothing to apply to are dropped.
//!
//! Why not tantivy's own grammar: it recurses once per `(`, `NOT ` or `field:(` (a few
//! thousand of them overflow a thread's stack and abort the process), and it reads
//! `word:` as a field name, reaching fields staff must not query (`status:`, `case_id:`)
//! or that fail at search time (`text_fi:*` on a field without a fast column). We check
//! the length and nesting limits first, then build the tantivy query from the parsed
//! [`Expr`] ourselves; tantivy's query parser only analyses single words and phrases.

use palaute_core::text::normalize;

use crate::error::IndexError;

/// Limits on search text, checked before anything else is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest text accepted, in characters (Unicode scalar values).
    pub max_chars: usize,
    /// Deepest nesting accepted. Each `(` is a level, and so is each operator of a chain
    /// such as `NOT -(`. Values above [`QueryLimits::HARD_MAX_NESTING`] count as that.
    pub max_nesting: usize,
}

impl QueryLimits {
    /// Parsing and query building recurse once per level; this many levels are proven
    /// safe on a 2 MiB thread stack by the crate's fuzz test, whatever the configuration.
    pub const HARD_MAX_NESTING: usize = 256;
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_chars: 1_000,
            max_nesting: 32,
        }
    }
}

/// A parsed search text. Words and phrases are NFC-normalised and hold a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Word(String),
    Phrase(String),
    Not(Box<Expr>),
    /// Every part must match.
    All(Vec<Expr>),
    /// At least one alternative must match.
    Any(Vec<Expr>),
}

/// Parses `text` within `limits`. `None` when the text holds no searchable word.
pub(crate) fn parse(text: &str, limits: &QueryLimits) -> Result<Option<Expr>, IndexError> {
    if text.chars().nth(limits.max_chars).is_some() {
        return Err(IndexError::QueryTooLong {
            position: limits.max_chars,
            max_chars: limits.max_chars,
        });
    }
    let tokens = lex(text);
    let mut parser = Parser {
        tokens: &tokens,
        next: 0,
        max_nesting: limits.max_nesting.min(QueryLimits::HARD_MAX_NESTING),
    };
    let mut parts = Vec::new();
    while parser.next < tokens.len() {
        parts.extend(parser.disjunction(0)?);
        // Only a stray `)` stops a top-level disjunction early; skip it and go on.
        parser.next += 1;
    }
    Ok(all_of(parts))
}

impl Expr {
    /// Whether some word or phrase must or may be present, as opposed to a text that only
    /// excludes (`-katulamppu`, `NOT a AND NOT b`), where relevance means nothing.
    pub(crate) fn has_positive(&self) -> bool {
        match self {
            Expr::Word(_) | Expr::Phrase(_) => true,
            Expr::Not(_) => false,
            Expr::All(parts) | Expr::Any(parts) => parts.iter().any(Expr::has_positive),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Minus,
    Plus,
    Word(String),
    Phrase(String),
}

#[derive(Debug)]
struct Lexed {
    token: Token,
    /// Characters before the token in the text as sent, for error messages.
    position: usize,
}

/// Splits the text into tokens. Only whitespace, `(`, `)` and `"` end a word; `-` and `+`
/// are operators only directly before something.
fn lex(text: &str) -> Vec<Lexed> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let position = at;
        let token = match c {
            c if c.is_whitespace() => {
                at += 1;
                continue;
            }
            '(' => {
                at += 1;
                Token::Open
            }
            ')' => {
                at += 1;
                Token::Close
            }
            '"' => {
                let start = at + 1;
                let rest = chars.get(start..).unwrap_or_default();
                let length = rest.iter().position(|&c| c == '"').unwrap_or(rest.len());
                at = start + length + 1;
                Token::Phrase(rest.iter().take(length).collect())
            }
            '-' | '+' if chars.get(at + 1).is_some_and(|next| !next.is_whitespace()) => {
                at += 1;
                if c == '-' { Token::Minus } else { Token::Plus }
            }
            _ => {
                let start = at;
                while chars.get(at).is_some_and(|&c| !ends_word(c)) {
                    at += 1;
                }
                let word: String = chars.get(start..at).unwrap_or_default().iter().collect();
                match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word(word),
                }
            }
        };
        tokens.push(Lexed { token, position });
    }
    tokens
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

/// Recursive descent; `depth` counts the levels around the current token, and every
/// descent checks it first, so recursion never exceeds the nesting limit.
struct Parser<'a> {
    tokens: &'a [Lexed],
    next: usize,
    max_nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|lexed| &lexed.token)
    }

    /// `a OR b OR …`, up to a `)` or the end.
    fn disjunction(&mut self, depth: usize) -> Result<Option<Expr>, IndexError> {
        let mut alternatives = Vec::new();
        loop {
            alternatives.extend(self.conjunction(depth)?);
            if self.peek() != Some(&Token::Or) {
                return Ok(any_of(alternatives));
            }
            self.next += 1;
        }
    }

    /// `a b AND c …`, up to an `OR`, a `)` or the end. A dangling `AND` is skipped.
    fn conjunction(&mut self, depth: usize) -> Result<Option<Expr>, IndexError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::Or | Token::Close) => return Ok(all_of(parts)),
                Some(Token::And) => self.next += 1,
                Some(_) => {
                    let before = self.next;
                    parts.extend(self.unary(depth)?);
                    // Always make progress, whatever the token.
                    if self.next == before {
                        self.next += 1;
                    }
                }
            }
        }
    }

    /// A chain of `NOT`, `-` and `+` and what it applies to. Each operator is a level.
    fn unary(&mut self, mut depth: usize) -> Result<Option<Expr>, IndexError> {
        let mut negated = false;
        while let Some(lexed) = self.tokens.get(self.next) {
            match lexed.token {
                Token::Not | Token::Minus => negated = !negated,
                Token::Plus => {}
                _ => break,
            }
            depth = self.deeper(depth, lexed.position)?;
            self.next += 1;
        }
        let operand = self.primary(depth)?;
        Ok(operand.map(|expr| if negated { negate(expr) } else { expr }))
    }

    /// A word, a phrase or a parenthesised group. Leaves `AND`, `OR` and `)` alone, so an
    /// operator in front of them applies to nothing and is dropped.
    fn primary(&mut self, depth: usize) -> Result<Option<Expr>, IndexError> {
        let Some(lexed) = self.tokens.get(self.next) else {
            return Ok(None);
        };
        match &lexed.token {
            Token::Open => {
                let inner_depth = self.deeper(depth, lexed.position)?;
                self.next += 1;
                let inner = self.disjunction(inner_depth)?;
                if self.peek() == Some(&Token::Close) {
                    self.next += 1;
                }
                Ok(inner)
            }
            Token::Word(word) => {
                self.next += 1;
                Ok(searchable(word).map(Expr::Word))
            }
            Token::Phrase(phrase) => {
                self.next += 1;
                Ok(searchable(phrase).map(Expr::Phrase))
            }
            Token::And | Token::Or | Token::Close | Token::Not | Token::Minus | Token::Plus => {
                Ok(None)
            }
        }
    }

    fn deeper(&self, depth: usize, position: usize) -> Result<usize, IndexError> {
        if depth >= self.max_nesting {
            return Err(IndexError::QueryTooDeep {
                position,
                max_nesting: self.max_nesting,
            });
        }
        Ok(depth + 1)
    }
}

/// The text normalised as stored text is; `None` when it has no letter or digit, so it
/// would reach tantivy only as a reference no case has.
fn searchable(text: &str) -> Option<String> {
    let text = normalize(text);
    text.chars().any(char::is_alphanumeric).then_some(text)
}

fn negate(expr: Expr) -> Expr {
    match expr {
        Expr::Not(inner) => *inner,
        other => Expr::Not(Box::new(other)),
    }
}

fn all_of(mut parts: Vec<Expr>) -> Option<Expr> {
    match parts.len() {
        0 | 1 => parts.pop(),
        _ => Some(Expr::All(parts)),
    }
}

fn any_of(mut alternatives: Vec<Expr>) -> Option<Expr> {
    match alternatives.len() {
        0 | 1 => alternatives.pop(),
        _ => Some(Expr::Any(alternatives)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<Expr> {
        match parse(text, &QueryLimits::default()) {
            Ok(expr) => expr,
            Err(error) => panic!("{text:?} was refused: {error}"),
        }
    }

    fn word(text: &str) -> Expr {
        Expr::Word(text.to_owned())
    }

    fn not(expr: Expr) -> Expr {
        Expr::Not(Box::new(expr))
    }

    fn refusal(text: &str, limits: QueryLimits) -> (usize, IndexError) {
        match parse(text, &limits) {
            Ok(expr) => panic!("{text:?} was accepted as {expr:?}"),
            Err(error) => (error.query_position().expect("a query refusal"), error),
        }
    }

    #[test]
    fn words_phrases_and_operators() {
        assert_eq!(
            parsed("katulamppu rikki"),
            Some(Expr::All(vec![word("katulamppu"), word("rikki")]))
        );
        assert_eq!(
            parsed("a OR b c"),
            Some(Expr::Any(vec![
                word("a"),
                Expr::All(vec![word("b"), word("c")])
            ]))
        );
        assert_eq!(
            parsed("lamppu -rikki"),
            Some(Expr::All(vec![word("lamppu"), not(word("rikki"))]))
        );
        assert_eq!(
            parsed("NOT (a AND +b)"),
            Some(not(Expr::All(vec![word("a"), word("b")])))
        );
        assert_eq!(
            parsed("\"katulamppu on\" rikki"),
            Some(Expr::All(vec![
                Expr::Phrase("katulamppu on".to_owned()),
                word("rikki")
            ]))
        );
        assert_eq!(parsed("NOT NOT a"), Some(word("a")));
        assert_eq!(parsed("-(-a)"), Some(word("a")));
        assert_eq!(parsed("NOT(a)"), Some(not(word("a"))));
    }

    #[test]
    fn tantivy_operators_are_ordinary_text() {
        for text in [
            "text_fi:*",
            "reference:x",
            "foo:bar",
            "12:30",
            "^2",
            "a^2",
            "a~2",
            "lamp*",
            "[a",
            "b]",
            "/kat.*/",
            ">5",
            "a\\:b",
            "'quoted'",
            "IN",
            "TO",
            "-5",
        ] {
            let expected = match text {
                "-5" => not(word("5")),
                _ => word(text),
            };
            assert_eq!(parsed(text), Some(expected), "{text}");
        }
        for nothing in [
            "*", "?", "~", "{", "}", "!!!", "\"\"", "-", "()", "(((", ")",
        ] {
            assert_eq!(parsed(nothing), None, "{nothing}");
        }
    }

    #[test]
    fn dangling_operators_and_brackets_are_repaired() {
        assert_eq!(parsed("lamppu AND"), Some(word("lamppu")));
        assert_eq!(parsed("OR lamppu NOT "), Some(word("lamppu")));
        assert_eq!(parsed("AND"), None);
        assert_eq!(
            parsed("a AND b"),
            Some(Expr::All(vec![word("a"), word("b")]))
        );
        assert_eq!(
            parsed("\"rock and\" roll"),
            Some(Expr::All(vec![
                Expr::Phrase("rock and".to_owned()),
                word("roll")
            ]))
        );
        assert_eq!(
            parsed("\"unbalanced phrase"),
            Some(Expr::Phrase("unbalanced phrase".to_owned()))
        );
        assert_eq!(
            parsed("(a OR b"),
            Some(Expr::Any(vec![word("a"), word("b")]))
        );
        assert_eq!(parsed("a) b"), Some(Expr::All(vec![word("a"), word("b")])));
        assert_eq!(parsed("a - b"), Some(Expr::All(vec![word("a"), word("b")])));
    }

    #[test]
    fn words_are_normalised_like_stored_text() {
        assert_eq!(parsed("ka\u{0308}tu"), Some(word("kätu")));
    }

    #[test]
    fn text_longer_than_the_limit_is_refused_where_it_goes_over() {
        let limits = QueryLimits {
            max_chars: 5,
            max_nesting: 32,
        };
        assert!(parse("äääää", &limits).is_ok());
        let (position, error) = refusal("ääääää", limits);
        assert_eq!(position, 5);
        assert!(matches!(
            error,
            IndexError::QueryTooLong { max_chars: 5, .. }
        ));
        assert!(error.to_string().contains("5 characters"), "{error}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_at_the_first_level_too_many() {
        let limits = QueryLimits {
            max_chars: 100_000,
            max_nesting: 3,
        };
        assert!(parse("(((a)))", &limits).is_ok());
        assert!(parse("NOT -+a", &limits).is_ok());
        assert!(parse("(a) (b) (c) (d) -e -f", &limits).is_ok());
        for (text, expected) in [
            ("((((a))))", 3),
            ("NOT NOT NOT NOT a", 12),
            ("- -(-(-a))", 5),
            ("x (NOT (-a", 8),
            ("NOT NOT NOT NOT", 12),
        ] {
            let (position, error) = refusal(text, limits);
            assert_eq!(position, expected, "{text}");
            assert!(
                matches!(error, IndexError::QueryTooDeep { max_nesting: 3, .. }),
                "{text}"
            );
        }
        // Brackets inside a phrase are text.
        assert!(parse("\"((((((\"", &limits).is_ok());
    }

    #[test]
    fn position_counts_characters_not_bytes() {
        let limits = QueryLimits {
            max_chars: 100,
            max_nesting: 1,
        };
        assert_eq!(refusal("ää (ö (x))", limits).0, 6);
    }

    #[test]
    fn the_nesting_limit_is_capped() {
        let limits = QueryLimits {
            max_chars: usize::MAX,
            max_nesting: usize::MAX,
        };
        let deep = "(".repeat(QueryLimits::HARD_MAX_NESTING + 1);
        let (position, _) = refusal(&deep, limits);
        assert_eq!(position, QueryLimits::HARD_MAX_NESTING);
    }

    #[test]
    fn negative_only_texts_have_no_positive_part() {
        for text in ["-a", "NOT a", "-a -b", "NOT (a OR b)", "-a OR -b"] {
            assert!(
                !parsed(text).is_some_and(|expr| expr.has_positive()),
                "{text}"
            );
        }
        for text in ["a", "a -b", "a OR -b", "-(-a)"] {
            assert!(
                parsed(text).is_some_and(|expr| expr.has_positive()),
                "{text}"
            );
        }
    }
}
