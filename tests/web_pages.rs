//! The resident pages over real HTTP, as a browser without JavaScript uses them: the
//! form in three languages, a submission that makes a case and shows its reference,
//! a double submit that makes one case, the CSRF check, a refused form that keeps the
//! input and links its errors, the tracking page with and without its token, and a
//! photo kept with the case. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use palaute_core::{CaseStatus, Channel, Organisation, Reference};
use palaute_testkit::{TestDatabase, on_every_backend};
use support::{TestApp, spawn_app, spawn_app_with};

/// A complete 1×1 PNG (the attachment check reads its chunks).
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// One browser: its form cookie, as a browser keeps it.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

/// A page as it came: status, headers and body.
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    /// The `value` of the input with `id`.
    fn input_value(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input #{id} in {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    /// The text inside the element with `id` (no nested elements).
    fn text_of(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no #{id} in {}", self.body));
        let start = self.body[at..].find('>').unwrap() + at + 1;
        let end = self.body[start..].find('<').unwrap() + start;
        self.body[start..end].trim().to_owned()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    async fn get(&mut self, path: &str) -> Page {
        let mut request = self.app.http.get(format!("{}{path}", self.app.base_url));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        self.read(request.send().await.expect("sending a GET"))
            .await
    }

    /// POSTs `fields` and `photos` (file name, bytes) as the form does: multipart.
    async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        photos: &[(&str, &[u8])],
    ) -> Page {
        let boundary = "----palaute-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (filename, bytes) in photos {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = self
            .app
            .http
            .post(format!("{}{path}", self.app.base_url))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        self.read(request.send().await.expect("sending a POST"))
            .await
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(set) = headers.get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
        Page {
            status,
            headers,
            body: response.text().await.expect("a body"),
        }
    }

    /// Opens the form at `path` and fills in `fields` beside its hidden ones.
    async fn fill_and_send(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        photos: &[(&str, &[u8])],
    ) -> (Page, Page) {
        let form = self.get(path).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.input_value("csrf_token");
        let key = form.input_value("idempotency_key");
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("idempotency_key", &key)];
        all.extend_from_slice(fields);
        let sent = self.post(path, &all, photos).await;
        (form, sent)
    }
}

/// The first category of the organisation the app serves (Helsinki's by default).
fn a_category() -> palaute_core::Category {
    Organisation::helsinki().categories[0].clone()
}

async fn case_count(app: &TestApp) -> usize {
    app.store()
        .await
        .case_ids_after(0, 1000)
        .await
        .unwrap()
        .len()
}

async fn the_form_is_served_in_three_languages_with_the_categories(database: TestDatabase) {
    let app = spawn_app(database).await;
    let category = a_category();
    for (path, lang, name, unknown) in [
        ("/", "fi", &category.name.fi, "En tiedä"),
        ("/sv", "sv", &category.name.sv, "Jag vet inte"),
        ("/en", "en", &category.name.en, "I don&#39;t know"),
    ] {
        let page = Browser::new(&app).get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains(&format!("<html lang=\"{lang}\">")),
            "{path}"
        );
        let select = &page.body[page.body.find("<select name=\"category\"").unwrap()..];
        let first_option = &select[select.find("<option").unwrap()..];
        assert!(
            first_option.starts_with("<option value=\"\"") && first_option.contains(unknown),
            "{path}: {first_option:.120}"
        );
        assert!(select.contains(&askama_escaped(name)), "{path}: {name}");
        for id in [
            "description",
            "title",
            "address",
            "latitude",
            "longitude",
            "contact_name",
            "contact_email",
            "contact_phone",
            "photos",
            "idempotency_key",
            "csrf_token",
            "description-count",
        ] {
            assert!(page.body.contains(&format!("id=\"{id}\"")), "{path}: #{id}");
        }
        for other in ["/", "/sv", "/en"] {
            assert!(
                page.body.contains(&format!("href=\"{other}\" hreflang=")),
                "{path}"
            );
        }
        assert!(page.body.contains("<main id=\"main\""), "{path}");
        let policy = page.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(
            page.headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("SameSite=Strict")
        );
    }
    let css = app
        .http
        .get(format!("{}/static/site.css", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    app.stop().await;
}

/// Text as the templates write it into HTML.
fn askama_escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn a_submission_makes_a_case_and_shows_its_reference(database: TestDatabase) {
    let app = spawn_app(database).await;
    let category = a_category();
    let mut browser = Browser::new(&app);
    let (_, sent) = browser
        .fill_and_send(
            "/en",
            &[
                ("category", &category.code),
                (
                    "description",
                    "A deep pothole on the cycle path by the school.",
                ),
                ("title", "Pothole"),
                ("address", "Mannerheimintie 1"),
                ("latitude", "60.1699"),
                ("longitude", "24.9384"),
                ("contact_name", "Maija Meikäläinen"),
                ("contact_email", "maija@example.com"),
                ("contact_phone", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("role=\"status\""));
    let reference = sent.text_of("reference");
    let parsed = Reference::parse(&reference).unwrap_or_else(|_| panic!("{reference}"));
    let link = &sent.body[sent.body.find("id=\"tracking-link\" href=\"").unwrap()..];
    assert!(
        link.contains(&format!("href=\"/track/{reference}?token=")),
        "{link:.120}"
    );

    let case = app
        .store()
        .await
        .case_by_reference(&parsed)
        .await
        .unwrap()
        .expect("the case");
    assert_eq!(case.channel, Channel::Web);
    assert_eq!(case.title.as_deref(), Some("Pothole"));
    assert_eq!(
        case.given_category_code.as_deref(),
        Some(category.code.as_str())
    );
    assert_eq!(case.stated_language, Some(palaute_core::Language::En));
    let contact = app
        .store()
        .await
        .case_contact(case.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.email.as_deref(), Some("maija@example.com"));
    app.stop().await;
}

async fn a_double_submit_makes_one_case(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/").await;
    let fields = [
        ("csrf_token", form.input_value("csrf_token")),
        ("idempotency_key", form.input_value("idempotency_key")),
        (
            "description",
            "Katuvalo ei pala Aleksanterinkadulla.".to_owned(),
        ),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let first = browser.post("/", &fields, &[]).await;
    let second = browser.post("/", &fields, &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(first.text_of("reference"), second.text_of("reference"));
    assert_eq!(case_count(&app).await, 1);
    // The replay shows the same tracking link, token and all.
    let link = |page: &Page| {
        let at = page.body.find("id=\"tracking-link\"").unwrap();
        page.body[at..at + 120].to_owned()
    };
    assert_eq!(link(&first), link(&second));

    // The same key with other content (Back, an edit, Send) makes no second case
    // silently: the form comes back with the input and a fresh key.
    let mut edited = fields.clone();
    edited[2] = ("description", "Katuvalo ei pala Esplanadilla.");
    let again = browser.post("/", &edited, &[]).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains("Esplanadilla"));
    assert_ne!(again.input_value("idempotency_key"), fields[1].1);
    assert_eq!(case_count(&app).await, 1);
    app.stop().await;
}

async fn a_post_without_its_csrf_token_is_refused(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/sv").await;
    let key = form.input_value("idempotency_key");
    let description = ("description", "Trasig bänk i parken.");

    // No token at all.
    let refused = browser
        .post("/sv", &[("idempotency_key", &key), description], &[])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("<html lang=\"sv\">"));
    assert!(
        refused.body.contains("Formuläret har gått ut"),
        "{}",
        refused.body
    );

    // A token from another browser's cookie.
    let mut other = Browser::new(&app);
    let others_token = other.get("/sv").await.input_value("csrf_token");
    let refused = browser
        .post(
            "/sv",
            &[
                ("csrf_token", &others_token),
                ("idempotency_key", &key),
                description,
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, 403);

    // The right token without the cookie (a forged cross-site post carries none).
    let token = form.input_value("csrf_token");
    browser.cookie = None;
    let refused = browser
        .post(
            "/sv",
            &[
                ("csrf_token", &token),
                ("idempotency_key", &key),
                description,
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(case_count(&app).await, 0);
    app.stop().await;
}

async fn a_refused_form_keeps_the_input_and_links_each_error(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let (_, refused) = browser
        .fill_and_send(
            "/sv",
            &[
                ("description", "   "),
                ("title", "Gatlykta <trasig>"),
                ("contact_email", "inte en adress"),
                ("contact_name", "Sven"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let body = &refused.body;
    assert!(
        body.contains("id=\"error-summary\" role=\"alert\""),
        "{body}"
    );
    for field in ["description", "contact_email"] {
        assert!(
            body.contains(&format!("<a href=\"#{field}\">")),
            "{field}: {body}"
        );
        assert!(body.contains(&format!("id=\"{field}-error\"")), "{field}");
        let input = &body[body.find(&format!("id=\"{field}\"")).unwrap()..];
        let describedby = &input[input.find("aria-describedby=\"").unwrap()..];
        let describedby = &describedby[..describedby.find("\">").unwrap_or(describedby.len())];
        assert!(
            describedby.contains(&format!("{field}-error")),
            "{field}: {describedby}"
        );
    }
    // The summary lists the description before the email, as the form does.
    assert!(
        body.find("href=\"#description\"").unwrap() < body.find("href=\"#contact_email\"").unwrap()
    );
    assert!(
        body.contains("Skriv din respons."),
        "Swedish messages: {body}"
    );
    // The input is kept (escaped).
    assert_eq!(
        refused.input_value("title"),
        askama_escaped("Gatlykta <trasig>")
    );
    assert_eq!(refused.input_value("contact_email"), "inte en adress");
    assert_eq!(refused.input_value("contact_name"), "Sven");
    assert_eq!(case_count(&app).await, 0);
    app.stop().await;
}

async fn the_tracking_page_needs_the_token_and_tells_nothing_without_it(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let (_, sent) = browser
        .fill_and_send("/", &[("description", "Roskis on täynnä torilla.")], &[])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let reference = sent.text_of("reference");
    let at = sent.body.find("id=\"tracking-link\" href=\"").unwrap()
        + "id=\"tracking-link\" href=\"".len();
    let link = sent.body[at..at + sent.body[at..].find('"').unwrap()].replace("&#38;", "&");

    // The link of the confirmation (and of a mailed acknowledgement) opens the case.
    let page = browser.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.text_of("case-status").is_empty());
    assert!(page.body.contains("<html lang=\"fi\">"));
    assert_eq!(page.headers["cache-control"], "no-store");
    let swedish = app
        .http
        .get(format!("{}{link}", app.base_url))
        .header("accept-language", "sv-FI,sv;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(swedish.contains("<html lang=\"sv\">"));
    let english = browser.get(&format!("{link}&lang=en")).await;
    assert!(english.body.contains("<html lang=\"en\">"));
    let status = english.text_of("case-status");
    assert!(
        CaseStatus::ALL
            .iter()
            .any(|known| known.name().en == status),
        "{status}"
    );

    // Without the token: a form asking for it, and nothing about the case.
    let bare = browser.get(&format!("/track/{reference}")).await;
    assert_eq!(bare.status, 200);
    assert!(bare.body.contains("id=\"token\""));
    assert!(!bare.body.contains("case-status"));
    assert!(!bare.body.contains("Roskis"));

    // A wrong token and an unknown reference get the same answer.
    let wrong = browser
        .get(&format!("/track/{reference}?token=not-the-token"))
        .await;
    let unknown_reference = "HEL-2020-999999";
    let unknown = browser
        .get(&format!("/track/{unknown_reference}?token=not-the-token"))
        .await;
    let malformed = browser.get("/track/nonsense?token=not-the-token").await;
    assert_eq!(wrong.status, 404);
    assert_eq!(unknown.status, 404);
    assert_eq!(malformed.status, 404);
    assert!(!wrong.body.contains("case-status"));
    assert!(wrong.body.contains("id=\"token\""));
    assert_eq!(
        wrong.body.replace(&reference, "REF"),
        unknown.body.replace(unknown_reference, "REF")
    );
    app.stop().await;
}

async fn a_photo_is_kept_with_the_case(database: TestDatabase) {
    let app = spawn_app_with(database, |settings| {
        settings.attachments.max_files = 2;
        settings.attachments.max_file_bytes = 64 * 1024;
    })
    .await;
    let mut browser = Browser::new(&app);
    let (_, sent) = browser
        .fill_and_send(
            "/",
            &[("description", "Kaatunut puu polulla, kuva liitteenä.")],
            &[("kaatunut puu.png", PNG)],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let reference = Reference::parse(&sent.text_of("reference")).unwrap();
    let store = app.store().await;
    let case = store.case_by_reference(&reference).await.unwrap().unwrap();
    let files = store.attachments_of(&[case.id]).await.unwrap();
    let files = &files[&case.id];
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "kaatunut puu.png");
    assert_eq!(files[0].content_type, "image/png");

    // A file that is not an accepted type is refused next to the field.
    let (_, refused) = browser
        .fill_and_send(
            "/en",
            &[("description", "Another one")],
            &[("script.png", b"#!/bin/sh\necho hi\n")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("<a href=\"#photos\">"));
    assert!(refused.body.contains("id=\"photos-error\""));
    assert_eq!(case_count(&app).await, 1);

    // A body over what the form may carry gets the 413 page in the page's language.
    let huge = [PNG, &vec![0u8; 512 * 1024]].concat();
    let (_, too_large) = browser
        .fill_and_send(
            "/sv",
            &[("description", "Stor bild")],
            &[("stor.png", &huge)],
        )
        .await;
    assert_eq!(too_large.status, 413);
    assert!(too_large.body.contains("<html lang=\"sv\">"));
    assert_eq!(case_count(&app).await, 1);
    app.stop().await;
}

async fn too_many_submissions_get_a_429_page(database: TestDatabase) {
    let app = spawn_app_with(database, |settings| {
        settings.rate_limits.enabled = true;
        settings.rate_limits.submissions_per_minute = 1;
        settings.rate_limits.submission_burst = 1;
    })
    .await;
    let mut browser = Browser::new(&app);
    let (_, first) = browser
        .fill_and_send("/en", &[("description", "The first one")], &[])
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let (_, second) = browser
        .fill_and_send("/en", &[("description", "The second one")], &[])
        .await;
    assert_eq!(second.status, 429, "{}", second.body);
    assert!(
        second.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(second.body.contains("<html lang=\"en\">"));
    assert_eq!(case_count(&app).await, 1);
    app.stop().await;
}

async fn a_categorys_guidance_is_applied_on_the_form(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/en").await;
    // The pothole category asks its size; the emergency category redirects to 112.
    assert!(
        form.body.contains("name=\"answer-171-size\""),
        "{}",
        form.body
    );
    assert!(form.body.contains("data-category=\"danger\""));

    let (_, redirected) = browser
        .fill_and_send(
            "/en",
            &[
                ("category", "danger"),
                ("description", "A power line is down on the road"),
            ],
            &[],
        )
        .await;
    assert_eq!(redirected.status, 422, "{}", redirected.body);
    assert!(redirected.body.contains("<a href=\"#category\">"));
    assert!(redirected.body.contains("id=\"category-error\""));
    assert!(redirected.body.contains("href=\"tel:112\""));
    assert_eq!(case_count(&app).await, 0);

    // An answer that is not one of the choices is refused next to the question; the
    // street light's question, answered too, is another category's and is ignored.
    let (_, refused) = browser
        .fill_and_send(
            "/en",
            &[
                ("category", "171"),
                ("description", "A pothole on the cycle path"),
                ("answer-171-size", "enormous"),
                ("answer-180-pole_number", "A-12"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("<a href=\"#answer-171-size\">"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"answer-171-size-error\""));

    let (_, sent) = browser
        .fill_and_send(
            "/en",
            &[
                ("category", "171"),
                ("description", "A pothole on the cycle path"),
                ("answer-171-size", "large"),
                ("answer-180-pole_number", "A-12"),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(case_count(&app).await, 1);
    let store = app.store().await;
    let reference = Reference::parse(&sent.text_of("reference")).unwrap();
    let case = store.case_by_reference(&reference).await.unwrap().unwrap();
    let answers = store.case_answers(&[case.id]).await.unwrap();
    let answers: Vec<(&str, &str)> = answers[&case.id]
        .iter()
        .map(|answer| (answer.code.as_str(), answer.value.as_str()))
        .collect();
    assert_eq!(answers, [("size", "large")]);
    app.stop().await;
}

/// The acknowledgement a web case's resident is mailed carries the same tracking link,
/// token included, as the confirmation page, and it opens the case.
async fn the_acknowledgement_emails_link_answers(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut browser = Browser::new(&app);
    let (_, sent) = browser
        .fill_and_send(
            "/",
            &[
                ("description", "Puiston penkki on rikki Kaivopuistossa."),
                ("contact_email", "asukas@example.com"),
            ],
            &[],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let reference = sent.text_of("reference");
    let at = sent.body.find("id=\"tracking-link\" href=\"").unwrap()
        + "id=\"tracking-link\" href=\"".len();
    let confirmed = sent.body[at..at + sent.body[at..].find('"').unwrap()].replace("&#38;", "&");
    let needle = format!("/track/{reference}");
    let mut link = None;
    for _ in 0..200 {
        link = app.outbox_files().into_iter().find_map(|(_, email)| {
            // Undo quoted-printable soft line breaks before looking for the link.
            let text = email.replace("=\r\n", "").replace("=\n", "");
            let at = text.find(&needle)?;
            let end = text[at..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '"')
                .map_or(text.len(), |end| at + end);
            Some(text[at..end].replace("=3D", "="))
        });
        if link.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let link =
        link.unwrap_or_else(|| panic!("no email links to {needle}: {:?}", app.outbox_files()));
    // The email carries the very link the confirmation showed, token and all.
    assert!(
        link.ends_with(&confirmed),
        "the email links {link}, the confirmation {confirmed}"
    );
    let page = browser.get(&confirmed).await;
    assert_eq!(page.status, 200, "{link}: {}", page.body);
    assert!(
        page.body.contains("id=\"case-status\""),
        "{link}: {}",
        page.body
    );
    app.stop().await;
}

on_every_backend!(
    the_form_is_served_in_three_languages_with_the_categories,
    a_submission_makes_a_case_and_shows_its_reference,
    a_double_submit_makes_one_case,
    a_post_without_its_csrf_token_is_refused,
    a_refused_form_keeps_the_input_and_links_each_error,
    the_tracking_page_needs_the_token_and_tells_nothing_without_it,
    a_photo_is_kept_with_the_case,
    too_many_submissions_get_a_429_page,
    a_categorys_guidance_is_applied_on_the_form,
    the_acknowledgement_emails_link_answers,
);
