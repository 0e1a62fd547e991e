//! HTML mail turned into readable plain text.
//!
//! mail-parser has a converter of its own (`Message::body_text` on an HTML-only part), but
//! it breaks lines only at `<br>` and `</p>`: the `<div>` per line that Outlook, Gmail and
//! Apple Mail write collapses into one long line, list items run together, and a
//! `<blockquote>` of quoted history is indistinguishable from the new text (the test
//! `mail_parsers_own_conversion_loses_lines` shows it). This one keeps the lines, marks
//! quoted history with `> ` so that [`crate::reply_text::new_text`] can cut it, drops
//! scripts, styles and the head, and decodes entities.

/// Tags whose content is never shown.
const HIDDEN: &[&str] = &[
    "script", "style", "head", "title", "template", "noscript", "object", "svg",
];

/// Tags that end a line when they open or close.
const LINE_BLOCKS: &[&str] = &[
    "div",
    "li",
    "tr",
    "dd",
    "dt",
    "address",
    "center",
    "form",
    "fieldset",
    "caption",
    "figcaption",
    "option",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "nav",
    "main",
    "details",
    "summary",
];

/// Tags that stand as a paragraph of their own (a blank line around them).
const PARAGRAPH_BLOCKS: &[&str] = &[
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "hr", "figure",
];

/// Readable text of an HTML document or fragment: never fails, never panics.
pub fn html_to_text(html: &str) -> String {
    let mut writer = Writer::default();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let (text, from_tag) = rest.split_at(open);
        writer.text(text);
        rest = match from_tag.get(1..) {
            Some(after) => writer.markup(after),
            None => "",
        };
    }
    writer.text(rest);
    writer.finish()
}

#[derive(Default)]
struct Writer {
    out: String,
    /// `<pre>` depth: whitespace kept as written.
    pre: usize,
    /// `<blockquote>` depth: lines prefixed with `> `.
    quote: usize,
    /// A space is owed before the next word.
    pending_space: bool,
    /// Newlines owed before the next text (1 = line break, 2 = blank line).
    pending_breaks: usize,
    /// The current output line has no text yet.
    at_line_start: bool,
}

impl Writer {
    /// Handles the markup after a `<`; returns the input after it.
    fn markup<'a>(&mut self, after: &'a str) -> &'a str {
        if let Some(comment) = after.strip_prefix("!--") {
            return comment
                .find("-->")
                .map_or("", |end| comment_rest(comment, end + 3));
        }
        let first = after.chars().next();
        let is_tag =
            matches!(first, Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !is_tag {
            // A lone "<" in text ("a < b").
            self.text("<");
            return after;
        }
        let end = tag_end(after);
        let inside = after.get(..end).unwrap_or(after);
        let rest = after.get(end + 1..).unwrap_or("");
        if inside.starts_with('!') || inside.starts_with('?') {
            return rest;
        }
        let closing = inside.starts_with('/');
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let self_closing = inside.ends_with('/');

        if !closing && !self_closing && HIDDEN.contains(&name.as_str()) {
            return skip_element(rest, &name);
        }
        match name.as_str() {
            "br" => {
                // A line break of its own: a second one (or one after a block) is a blank line.
                self.pending_breaks = (self.pending_breaks + 1).min(3);
                self.pending_space = false;
            }
            "blockquote" => {
                self.paragraph_break();
                if closing {
                    self.quote = self.quote.saturating_sub(1);
                } else {
                    self.quote = self.quote.saturating_add(1).min(32);
                }
            }
            "pre" => {
                self.paragraph_break();
                if closing {
                    self.pre = self.pre.saturating_sub(1);
                } else {
                    self.pre = self.pre.saturating_add(1);
                }
            }
            "li" if !closing => {
                self.line_break();
                self.emit("- ");
            }
            "td" | "th" if !closing => self.pending_space = !self.at_line_start,
            "hr" => {
                self.paragraph_break();
            }
            "img" => {
                if let Some(alt) = attribute(inside, "alt").filter(|alt| !alt.trim().is_empty()) {
                    self.text(&format!(" [{}] ", alt.trim()));
                }
            }
            other if PARAGRAPH_BLOCKS.contains(&other) => self.paragraph_break(),
            other if LINE_BLOCKS.contains(&other) => self.line_break(),
            _ => {}
        }
        rest
    }

    /// Text between tags: entities decoded, whitespace collapsed outside `<pre>`.
    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return;
        }
        let decoded = decode_entities(raw);
        if self.pre > 0 {
            for (index, line) in decoded.split('\n').enumerate() {
                if index > 0 {
                    self.newline();
                }
                let line = line.trim_end_matches('\r');
                if !line.is_empty() {
                    self.emit(line);
                }
            }
            return;
        }
        for (index, word) in decoded
            .split(|c: char| c.is_whitespace() && c != '\u{a0}')
            .enumerate()
        {
            if index > 0 {
                self.pending_space = true;
            }
            if !word.is_empty() {
                let word = word.replace('\u{a0}', " ");
                self.emit(&word);
            }
        }
    }

    /// Writes text, first paying owed line breaks, quote marks and spaces.
    fn emit(&mut self, text: &str) {
        if !self.out.is_empty() {
            for _ in 0..self.pending_breaks {
                self.newline();
            }
        }
        self.pending_breaks = 0;
        if self.at_line_start || self.out.is_empty() {
            for _ in 0..self.quote {
                self.out.push_str("> ");
            }
            self.at_line_start = false;
            self.pending_space = false;
        }
        if self.pending_space {
            self.out.push(' ');
            self.pending_space = false;
        }
        self.out.push_str(text);
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.at_line_start = true;
        self.pending_space = false;
    }

    fn line_break(&mut self) {
        self.pending_breaks = self.pending_breaks.max(1);
        self.pending_space = false;
    }

    fn paragraph_break(&mut self) {
        self.pending_breaks = 2;
        self.pending_space = false;
    }

    fn finish(self) -> String {
        // Trim each line's end, and no more than one blank line in a row.
        let mut result = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            let is_blank = line.trim_start_matches(['>', ' ']).is_empty();
            if is_blank {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            result.push_str(line);
            result.push('\n');
        }
        result.trim().to_owned()
    }
}

fn comment_rest(comment: &str, from: usize) -> &str {
    comment.get(from..).unwrap_or("")
}

/// The byte offset of the `>` that ends a tag (quotes respected), or the end.
fn tag_end(after: &str) -> usize {
    let mut quote: Option<char> = None;
    for (index, c) in after.char_indices() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return index,
            _ => {}
        }
    }
    after.len()
}

/// Skips to after `</name>` (case-insensitive), or to the end.
fn skip_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    let mut from = 0;
    while let Some(found) = rest
        .get(from..)
        .and_then(|tail| find_ascii_ci(tail, &closing))
    {
        let start = from + found;
        let after = start + closing.len();
        let next = rest.get(after..).and_then(|tail| tail.chars().next());
        if matches!(next, None | Some('>' | ' ' | '\t' | '\n' | '\r')) {
            let tail = rest.get(after..).unwrap_or("");
            return tail
                .find('>')
                .map_or("", |end| tail.get(end + 1..).unwrap_or(""));
        }
        from = after;
    }
    ""
}

/// Case-insensitive ASCII search; the needle is ASCII.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

/// An attribute's value in a tag's inside (`img src="x" alt="y"`).
fn attribute(inside: &str, name: &str) -> Option<String> {
    let lower = inside.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower.get(from..).and_then(|tail| tail.find(name)) {
        let start = from + found;
        let before_ok = start == 0
            || lower
                .get(..start)
                .and_then(|head| head.chars().last())
                .is_some_and(char::is_whitespace);
        let after = inside.get(start + name.len()..)?.trim_start();
        if before_ok && let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let quoted = value.chars().next().filter(|c| *c == '"' || *c == '\'');
            return Some(match quoted {
                Some(q) => {
                    let body = value.get(1..).unwrap_or("");
                    decode_entities(body.split(q).next().unwrap_or(""))
                }
                None => decode_entities(
                    value
                        .split(|c: char| c.is_whitespace() || c == '>')
                        .next()
                        .unwrap_or(""),
                ),
            });
        }
        from = start + name.len();
    }
    None
}

/// Decodes `&name;`, `&#NNN;` and `&#xHH;`; unknown entities are kept as written.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let (before, from_amp) = rest.split_at(amp);
        out.push_str(before);
        let after = from_amp.get(1..).unwrap_or("");
        // An entity is at most ~32 characters up to its ';'.
        let end = after
            .char_indices()
            .take(33)
            .find(|(_, c)| *c == ';' || !(c.is_ascii_alphanumeric() || *c == '#'))
            .filter(|(_, c)| *c == ';')
            .map(|(index, _)| index);
        let decoded = end.and_then(|end| after.get(..end)).and_then(entity);
        match (decoded, end) {
            (Some(decoded), Some(end)) => {
                out.push_str(decoded.as_str());
                rest = after.get(end + 1..).unwrap_or("");
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        // Too large for a character: the replacement character, as browsers show it.
        let code = u32::from_str_radix(digits, radix).unwrap_or(0xfffd);
        let decoded = match code {
            0 => '\u{fffd}',
            // Windows-1252 in numeric references, as browsers read them.
            0x80 => '€',
            0x91 => '\u{2018}',
            0x92 => '\u{2019}',
            0x93 => '\u{201c}',
            0x94 => '\u{201d}',
            0x96 => '\u{2013}',
            0x97 => '\u{2014}',
            _ => char::from_u32(code).unwrap_or('\u{fffd}'),
        };
        return Some(decoded.to_string());
    }
    let text = match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ensp" | "emsp" | "thinsp" => " ",
        "shy" | "zwnj" | "zwj" | "lrm" | "rlm" => "",
        "auml" => "ä",
        "Auml" => "Ä",
        "ouml" => "ö",
        "Ouml" => "Ö",
        "aring" => "å",
        "Aring" => "Å",
        "uuml" => "ü",
        "Uuml" => "Ü",
        "aacute" => "á",
        "eacute" => "é",
        "Eacute" => "É",
        "egrave" => "è",
        "ecirc" => "ê",
        "agrave" => "à",
        "acirc" => "â",
        "ccedil" => "ç",
        "iacute" => "í",
        "oacute" => "ó",
        "uacute" => "ú",
        "ntilde" => "ñ",
        "oslash" => "ø",
        "Oslash" => "Ø",
        "aelig" => "æ",
        "AElig" => "Æ",
        "szlig" => "ß",
        "scaron" => "š",
        "Scaron" => "Š",
        "zcaron" => "ž",
        "Zcaron" => "Ž",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "euro" => "€",
        "pound" => "£",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "times" => "×",
        "divide" => "÷",
        "sect" => "§",
        "para" => "¶",
        "frac12" => "½",
        "plusmn" => "±",
        "micro" => "µ",
        "iexcl" => "¡",
        "iquest" => "¿",
        _ => return None,
    };
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divs_and_breaks_become_lines() {
        let html = "<html><head><title>x</title><style>p{color:red}</style></head><body>\
            <div>Hei,</div><div><br></div><div>Katuvalo on rikki&nbsp;H&auml;meentiell&auml;.</div>\
            <div>Terveisin<br>Maija</div><script>alert(1)</script></body></html>";
        assert_eq!(
            html_to_text(html),
            "Hei,\n\nKatuvalo on rikki Hämeentiellä.\nTerveisin\nMaija"
        );
    }

    #[test]
    fn paragraphs_lists_and_entities() {
        let html = "<p>One &amp; two &lt;3 &#228; &#xE5; &unknown; AT&T</p>\n<ul><li>first</li><li>second</li></ul><p>end</p>";
        assert_eq!(
            html_to_text(html),
            "One & two <3 ä å &unknown; AT&T\n\n- first\n- second\n\nend"
        );
    }

    #[test]
    fn whitespace_collapses_outside_pre() {
        let html = "<p>a    b\n\n   c</p><pre>  x\n    y</pre>";
        assert_eq!(html_to_text(html), "a b c\n\n  x\n    y");
    }

    #[test]
    fn blockquotes_are_marked_as_quotes() {
        let html = "<div>Kiitos!</div><div class=\"gmail_quote\">On Mon, 1 Dec 2026 at 10:00, X &lt;x@y.fi&gt; wrote:<blockquote>Old <b>text</b><br>more</blockquote></div>";
        assert_eq!(
            html_to_text(html),
            "Kiitos!\nOn Mon, 1 Dec 2026 at 10:00, X <x@y.fi> wrote:\n\n> Old text\n> more"
        );
    }

    #[test]
    fn comments_conditionals_and_broken_markup() {
        assert_eq!(html_to_text("a<!-- hidden -->b"), "ab");
        assert_eq!(html_to_text("a <!--[if mso]>x<![endif]--> b"), "a b");
        assert_eq!(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
        assert_eq!(html_to_text("<div title=\"a>b\">x</div>"), "x");
        assert_eq!(html_to_text("<script>never"), "");
        assert_eq!(html_to_text("<"), "<");
        assert_eq!(html_to_text("<b"), "");
        assert_eq!(html_to_text("&"), "&");
        assert_eq!(html_to_text("&#99999999999;"), "\u{fffd}");
        assert_eq!(html_to_text("<img src=x alt=\"kuva\">"), "[kuva]");
    }

    #[test]
    fn mail_parsers_own_conversion_loses_lines() {
        // Measured against mail-parser's conversion: its output runs the lines together.
        let html = "<div>Hei,</div><div>katuvalo on rikki.</div><div>Maija</div>";
        let theirs = mail_parser::decoders::html::html_to_text(html);
        assert!(!theirs.contains('\n'), "{theirs:?}");
        assert_eq!(html_to_text(html), "Hei,\nkatuvalo on rikki.\nMaija");
    }
}
