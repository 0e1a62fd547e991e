//! The pages' own texts in Finnish, Swedish and English, and how a page's language is
//! chosen. Names from the organisation (categories, units) come as
//! [`palaute_core::Localized`] instead; these are the words around them.
//!
//! One struct per language: a text missing from one of them fails to compile.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use palaute_core::Language;

/// Every language a page is offered in, in the order the language switch lists them.
pub const LANGUAGES: [Language; 3] = [Language::Fi, Language::Sv, Language::En];

/// The words of the pages in one language.
pub struct Texts {
    /// The language's name in itself, for the language switch.
    pub language_name: &'static str,
    pub site_name: &'static str,
    pub skip_to_content: &'static str,
    pub language_switch: &'static str,
    pub footer_note: &'static str,
}

pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Fi => &FI,
        Language::Sv => &SV,
        Language::En => &EN,
    }
}

/// The language a request asks for in `Accept-Language`, by its weights (`q`), or the
/// default (Finnish) when it names none of ours.
pub fn from_accept_language(headers: &HeaderMap) -> Language {
    let Some(header) = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Language::DEFAULT;
    };
    let mut best: Option<(Language, f32)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts
            .find_map(|part| part.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let Some(language) = Language::from_code(primary) else {
            continue;
        };
        if weight > 0.0 && best.is_none_or(|(_, known)| weight > known) {
            best = Some((language, weight));
        }
    }
    best.map_or(Language::DEFAULT, |(language, _)| language)
}

static FI: Texts = Texts {
    language_name: "Suomi",
    site_name: "Palaute – Helsingin kaupunki",
    skip_to_content: "Siirry sisältöön",
    language_switch: "Kieli",
    footer_note: "Helsingin kaupungin palautepalvelu. Sivusto ei käytä seurantaevästeitä.",
};

static SV: Texts = Texts {
    language_name: "Svenska",
    site_name: "Respons – Helsingfors stad",
    skip_to_content: "Gå till innehållet",
    language_switch: "Språk",
    footer_note: "Helsingfors stads responstjänst. Webbplatsen använder inga spårningskakor.",
};

static EN: Texts = Texts {
    language_name: "English",
    site_name: "Feedback – City of Helsinki",
    skip_to_content: "Skip to content",
    language_switch: "Language",
    footer_note: "The City of Helsinki's feedback service. This site uses no tracking cookies.",
};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn asking(value: &'static str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(value));
        from_accept_language(&headers)
    }

    #[test]
    fn accept_language_picks_the_heaviest_of_ours() {
        assert_eq!(asking("sv-FI,sv;q=0.9,en;q=0.8"), Language::Sv);
        assert_eq!(asking("de-DE,en;q=0.5,fi;q=0.7"), Language::Fi);
        assert_eq!(asking("en-GB"), Language::En);
        assert_eq!(asking("de, fr"), Language::Fi);
        assert_eq!(from_accept_language(&HeaderMap::new()), Language::Fi);
    }
}
