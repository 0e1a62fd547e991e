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
    /// The footer's link to the public service figures.
    pub figures_link: &'static str,
    /// The feedback form's heading.
    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub error_summary_title: &'static str,
    /// Read before each field's error by screen readers.
    pub error_prefix: &'static str,
    pub optional: &'static str,
    pub category_label: &'static str,
    pub category_hint: &'static str,
    /// The first option, value "".
    pub category_unknown: &'static str,
    pub description_label: &'static str,
    pub description_hint: &'static str,
    /// `{count}` and `{max}` are replaced.
    pub count_template: &'static str,
    pub title_label: &'static str,
    pub place_legend: &'static str,
    pub address_label: &'static str,
    pub address_hint: &'static str,
    pub use_my_location: &'static str,
    pub location_finding: &'static str,
    pub location_found: &'static str,
    pub location_failed: &'static str,
    pub location_unavailable: &'static str,
    pub contact_legend: &'static str,
    /// What contact details are used for.
    pub contact_hint: &'static str,
    pub contact_name_label: &'static str,
    pub contact_email_label: &'static str,
    pub contact_email_hint: &'static str,
    pub contact_phone_label: &'static str,
    pub photos_label: &'static str,
    /// `{files}`, `{megabytes}` and `{types}` are replaced.
    pub photos_hint_template: &'static str,
    pub privacy_title: &'static str,
    pub privacy_seen: &'static str,
    pub privacy_public: &'static str,
    pub submit: &'static str,
    pub confirm_title: &'static str,
    pub confirm_lead: &'static str,
    pub reference_label: &'static str,
    pub tracking_intro: &'static str,
    pub tracking_link_text: &'static str,
    pub confirm_no_contact: &'static str,
    pub new_feedback: &'static str,
    pub track_title: &'static str,
    pub status_label: &'static str,
    pub unit_label: &'static str,
    pub unit_pending: &'static str,
    pub received_label: &'static str,
    pub updated_label: &'static str,
    pub replies_title: &'static str,
    pub no_replies: &'static str,
    pub token_title: &'static str,
    pub token_intro: &'static str,
    pub token_label: &'static str,
    pub token_hint: &'static str,
    pub token_submit: &'static str,
    /// The same for an unknown reference and a wrong token.
    pub token_invalid: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub rate_limited_title: &'static str,
    /// `{seconds}` is replaced.
    pub rate_limited_template: &'static str,
    pub too_large_title: &'static str,
    pub too_large_text: &'static str,
    pub unreadable_title: &'static str,
    pub unreadable_text: &'static str,
    pub failure_title: &'static str,
    pub failure_text: &'static str,
    pub back_to_form: &'static str,
    /// `{category}` is replaced.
    pub questions_legend_template: &'static str,
    /// Shown above a category's questions.
    pub questions_hint: &'static str,
    pub err_answer_missing: &'static str,
    pub err_answer_choice: &'static str,
    pub err_answer_number: &'static str,
    pub err_answer_date: &'static str,
    /// Shown when a sent form comes back with other content.
    pub already_sent: &'static str,
    /// Photos are not kept when a form comes back with errors.
    pub photos_again: &'static str,
    pub err_required: &'static str,
    /// `{max}` is replaced.
    pub err_too_long_template: &'static str,
    pub err_category_unknown: &'static str,
    pub err_email_invalid: &'static str,
    pub err_phone_invalid: &'static str,
    pub err_location_invalid: &'static str,
    pub err_invalid: &'static str,
    /// `{max}` is replaced.
    pub err_photos_too_many_template: &'static str,
    /// `{file}` and `{megabytes}` are replaced.
    pub err_photo_too_large_template: &'static str,
    /// `{file}` is replaced.
    pub err_photo_empty_template: &'static str,
    /// `{file}` and `{types}` are replaced.
    pub err_photo_type_template: &'static str,
    /// `{file}` is replaced.
    pub err_photo_damaged_template: &'static str,
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
    figures_link: "Palvelun tunnusluvut: kuinka nopeasti palautteet käsitellään",
    form_title: "Anna palautetta",
    form_intro: "Kerro, mitä haluat kaupungin tietävän: vika, toive, kysymys tai kiitos. Palaute ohjataan sen käsittelevälle yksikölle.",
    error_summary_title: "Korjaa seuraavat kohdat",
    error_prefix: "Virhe: ",
    optional: "vapaaehtoinen",
    category_label: "Aihe",
    category_hint: "Jos et tiedä, jätä valinnaksi ”En tiedä”: ohjaamme palautteen oikealle yksikölle.",
    category_unknown: "En tiedä",
    description_label: "Palaute",
    description_hint: "Kerro, mitä tapahtui ja missä. Älä kirjoita tähän henkilötunnusta tai terveystietoja.",
    count_template: "{count} / {max} merkkiä",
    title_label: "Otsikko",
    place_legend: "Paikka",
    address_label: "Osoite tai paikan kuvaus",
    address_hint: "Esimerkiksi katuosoite, pysäkki tai puisto.",
    use_my_location: "Käytä sijaintiani",
    location_finding: "Haetaan sijaintia…",
    location_found: "Laitteesi sijainti liitetään palautteeseen.",
    location_failed: "Sijaintia ei saatu. Kirjoita osoite tai paikan kuvaus.",
    location_unavailable: "Selaimesi ei kerro sijaintia. Kirjoita osoite tai paikan kuvaus.",
    contact_legend: "Yhteystiedot",
    contact_hint: "Yhteystiedot ovat vapaaehtoisia. Käytämme niitä vain tähän palautteeseen: lähetämme vastaanottokuittauksen ja vastauksen sähköpostiin ja voimme kysyä lisätietoja. Niitä ei näytetä muille.",
    contact_name_label: "Nimi",
    contact_email_label: "Sähköposti",
    contact_email_hint: "Saat kuittauksen ja vastauksen tähän osoitteeseen.",
    contact_phone_label: "Puhelinnumero",
    photos_label: "Kuvat",
    photos_hint_template: "Enintään {files} tiedostoa ({types}), kukin enintään {megabytes} Mt. Kuvista poistetaan sijainti- ja laitetiedot ennen tallennusta.",
    privacy_title: "Miten tietojasi käsitellään",
    privacy_seen: "Palautettasi käsittelevät ne kaupungin työntekijät, joille asia kuuluu.",
    privacy_public: "Palautteen teksti, otsikko ja paikka voivat näkyä julkisesti kaupungin avoimessa palauterajapinnassa. Yhteystietojasi ei näytetä koskaan.",
    submit: "Lähetä palaute",
    confirm_title: "Kiitos, palautteesi on vastaanotettu",
    confirm_lead: "Palautteesi tunnus on",
    reference_label: "Tunnus",
    tracking_intro: "Voit seurata palautteesi käsittelyä tästä linkistä. Tallenna linkki: se sisältää tunnisteen, jolla vain sinä näet palautteesi tilan.",
    tracking_link_text: "Seuraa palautteesi käsittelyä",
    confirm_no_contact: "Koska et antanut sähköpostiosoitetta, emme lähetä kuittausta. Tallenna tunnus ja seurantalinkki.",
    new_feedback: "Anna uusi palaute",
    track_title: "Palautteen käsittely",
    status_label: "Tila",
    unit_label: "Käsittelevä yksikkö",
    unit_pending: "Ei vielä valittu",
    received_label: "Vastaanotettu",
    updated_label: "Päivitetty",
    replies_title: "Vastaukset sinulle",
    no_replies: "Palautteeseesi ei ole vielä vastattu.",
    token_title: "Anna seurantatunniste",
    token_intro: "Palautteen tila näytetään vain seurantatunnisteen kanssa. Tunniste on vahvistussivun seurantalinkissä.",
    token_label: "Seurantatunniste",
    token_hint: "Liitä tunniste seurantalinkistä (linkin token=-osan jälkeen).",
    token_submit: "Näytä palautteen tila",
    token_invalid: "Tunnuksella ja tunnisteella ei löytynyt palautetta. Tarkista, että kopioit koko seurantalinkin.",
    forbidden_title: "Lomake vanheni",
    forbidden_text: "Lomaketta ei voitu lähettää, koska sen turvatunniste puuttui tai ei kelvannut. Tämä voi johtua siitä, että evästeet on estetty tai lomake oli auki pitkään. Palautettasi ei tallennettu. Avaa lomake uudelleen ja lähetä palaute.",
    rate_limited_title: "Liian monta palautetta",
    rate_limited_template: "Tästä osoitteesta on lähetetty lyhyessä ajassa monta palautetta. Palautettasi ei tallennettu. Yritä uudelleen {seconds} sekunnin kuluttua.",
    too_large_title: "Liitteet ovat liian suuret",
    too_large_text: "Lähetys oli suurempi kuin sallittu. Palautettasi ei tallennettu. Lähetä vähemmän tai pienempiä kuvia.",
    unreadable_title: "Lähetystä ei voitu lukea",
    unreadable_text: "Lomakkeen tietoja ei saatu luettua. Palautettasi ei tallennettu. Yritä uudelleen.",
    failure_title: "Palvelussa on häiriö",
    failure_text: "Palautettasi ei juuri nyt voitu käsitellä. Yritä hetken kuluttua uudelleen.",
    back_to_form: "Palaa palautelomakkeelle",
    already_sent: "Tämä lomake on jo lähetetty, ja sen sisältö on nyt toinen. Jos haluat lähettää sen uutena palautteena, tarkista tiedot ja lähetä uudelleen.",
    photos_again: "Valitse kuvat uudelleen: niitä ei säilytetä, kun lomakkeessa on korjattavaa.",
    err_required: "Kirjoita palautteesi.",
    err_too_long_template: "Teksti on liian pitkä: enintään {max} merkkiä.",
    err_category_unknown: "Valitse aihe listasta tai valitse ”En tiedä”.",
    err_email_invalid: "Anna sähköpostiosoite muodossa nimi@esimerkki.fi.",
    err_phone_invalid: "Puhelinnumerossa on 5–20 numeroa, ja siinä voi olla merkit + - ( ) ja välilyöntejä.",
    err_location_invalid: "Laitteen sijainti ei kelvannut. Kirjoita osoite tai paikan kuvaus.",
    err_invalid: "Tarkista tämä kohta.",
    err_photos_too_many_template: "Voit liittää enintään {max} tiedostoa.",
    err_photo_too_large_template: "{file} on liian suuri: enintään {megabytes} Mt.",
    err_photo_empty_template: "{file} on tyhjä tiedosto.",
    err_photo_type_template: "{file} ei ole sallittua tyyppiä. Sallitut: {types}.",
    err_photo_damaged_template: "{file} on vioittunut, eikä sitä voitu tallentaa.",
    questions_legend_template: "Lisäkysymykset: {category}",
    questions_hint: "Vastaa vain, jos valitsit tämän aiheen.",
    err_answer_missing: "Vastaa tähän kysymykseen.",
    err_answer_choice: "Valitse jokin vaihtoehdoista.",
    err_answer_number: "Kirjoita vastaus numerona.",
    err_answer_date: "Anna päivämäärä muodossa vvvv-kk-pp.",
};

static SV: Texts = Texts {
    language_name: "Svenska",
    site_name: "Respons – Helsingfors stad",
    skip_to_content: "Gå till innehållet",
    language_switch: "Språk",
    footer_note: "Helsingfors stads responstjänst. Webbplatsen använder inga spårningskakor.",
    figures_link: "Tjänstens nyckeltal: hur snabbt responsen behandlas",
    form_title: "Ge respons",
    form_intro: "Berätta vad du vill att staden ska veta: ett fel, ett önskemål, en fråga eller ett tack. Responsen skickas till den enhet som handlägger den.",
    error_summary_title: "Rätta följande",
    error_prefix: "Fel: ",
    optional: "frivilligt",
    category_label: "Ämne",
    category_hint: "Om du inte vet, välj ”Jag vet inte”: vi skickar responsen till rätt enhet.",
    category_unknown: "Jag vet inte",
    description_label: "Respons",
    description_hint: "Berätta vad som hände och var. Skriv inte personbeteckning eller hälsouppgifter här.",
    count_template: "{count} / {max} tecken",
    title_label: "Rubrik",
    place_legend: "Plats",
    address_label: "Adress eller beskrivning av platsen",
    address_hint: "Till exempel en gatuadress, en hållplats eller en park.",
    use_my_location: "Använd min position",
    location_finding: "Positionen hämtas…",
    location_found: "Din enhets position bifogas till responsen.",
    location_failed: "Positionen kunde inte hämtas. Skriv en adress eller beskriv platsen.",
    location_unavailable: "Din webbläsare uppger ingen position. Skriv en adress eller beskriv platsen.",
    contact_legend: "Kontaktuppgifter",
    contact_hint: "Kontaktuppgifterna är frivilliga. Vi använder dem bara för den här responsen: vi skickar en mottagningskvittens och svaret per e-post och kan be om mer information. De visas inte för andra.",
    contact_name_label: "Namn",
    contact_email_label: "E-post",
    contact_email_hint: "Du får kvittensen och svaret till den här adressen.",
    contact_phone_label: "Telefonnummer",
    photos_label: "Bilder",
    photos_hint_template: "Högst {files} filer ({types}), var och en högst {megabytes} MB. Positions- och enhetsuppgifter tas bort ur bilderna innan de sparas.",
    privacy_title: "Så behandlas dina uppgifter",
    privacy_seen: "Din respons behandlas av de anställda vid staden som ärendet hör till.",
    privacy_public: "Responsens text, rubrik och plats kan visas offentligt i stadens öppna responsgränssnitt. Dina kontaktuppgifter visas aldrig.",
    submit: "Skicka respons",
    confirm_title: "Tack, din respons har tagits emot",
    confirm_lead: "Din respons har beteckningen",
    reference_label: "Beteckning",
    tracking_intro: "Du kan följa behandlingen av din respons via den här länken. Spara länken: den innehåller en kod som gör att bara du ser responsens status.",
    tracking_link_text: "Följ behandlingen av din respons",
    confirm_no_contact: "Eftersom du inte gav någon e-postadress skickar vi ingen kvittens. Spara beteckningen och uppföljningslänken.",
    new_feedback: "Ge ny respons",
    track_title: "Behandlingen av responsen",
    status_label: "Status",
    unit_label: "Handläggande enhet",
    unit_pending: "Inte vald ännu",
    received_label: "Mottagen",
    updated_label: "Uppdaterad",
    replies_title: "Svar till dig",
    no_replies: "Din respons har inte besvarats ännu.",
    token_title: "Ange uppföljningskoden",
    token_intro: "Responsens status visas bara med uppföljningskoden. Koden finns i uppföljningslänken på bekräftelsesidan.",
    token_label: "Uppföljningskod",
    token_hint: "Klistra in koden ur uppföljningslänken (delen efter token=).",
    token_submit: "Visa responsens status",
    token_invalid: "Ingen respons hittades med beteckningen och koden. Kontrollera att du kopierade hela uppföljningslänken.",
    forbidden_title: "Formuläret har gått ut",
    forbidden_text: "Formuläret kunde inte skickas eftersom dess säkerhetskod saknades eller inte godtogs. Det kan bero på att kakor är blockerade eller att formuläret var öppet länge. Din respons sparades inte. Öppna formuläret på nytt och skicka responsen.",
    rate_limited_title: "För många responser",
    rate_limited_template: "Många responser har skickats från den här adressen på kort tid. Din respons sparades inte. Försök igen om {seconds} sekunder.",
    too_large_title: "Bilagorna är för stora",
    too_large_text: "Sändningen var större än tillåtet. Din respons sparades inte. Skicka färre eller mindre bilder.",
    unreadable_title: "Sändningen kunde inte läsas",
    unreadable_text: "Formulärets uppgifter kunde inte läsas. Din respons sparades inte. Försök igen.",
    failure_title: "Tjänsten har en störning",
    failure_text: "Din respons kunde inte behandlas just nu. Försök igen om en stund.",
    back_to_form: "Tillbaka till responsformuläret",
    already_sent: "Det här formuläret har redan skickats, och innehållet är nu ett annat. Om du vill skicka det som ny respons, kontrollera uppgifterna och skicka igen.",
    photos_again: "Välj bilderna på nytt: de sparas inte när formuläret har något att rätta.",
    err_required: "Skriv din respons.",
    err_too_long_template: "Texten är för lång: högst {max} tecken.",
    err_category_unknown: "Välj ett ämne i listan eller välj ”Jag vet inte”.",
    err_email_invalid: "Ange e-postadressen i formen namn@exempel.fi.",
    err_phone_invalid: "Ett telefonnummer har 5–20 siffror och kan innehålla + - ( ) och mellanslag.",
    err_location_invalid: "Enhetens position godtogs inte. Skriv en adress eller beskriv platsen.",
    err_invalid: "Kontrollera den här punkten.",
    err_photos_too_many_template: "Du kan bifoga högst {max} filer.",
    err_photo_too_large_template: "{file} är för stor: högst {megabytes} MB.",
    err_photo_empty_template: "{file} är en tom fil.",
    err_photo_type_template: "{file} är inte av tillåten typ. Tillåtna: {types}.",
    err_photo_damaged_template: "{file} är skadad och kunde inte sparas.",
    questions_legend_template: "Tilläggsfrågor: {category}",
    questions_hint: "Svara bara om du valde det här ämnet.",
    err_answer_missing: "Svara på den här frågan.",
    err_answer_choice: "Välj ett av alternativen.",
    err_answer_number: "Skriv svaret som ett tal.",
    err_answer_date: "Ange datumet i formen åååå-mm-dd.",
};

static EN: Texts = Texts {
    language_name: "English",
    site_name: "Feedback – City of Helsinki",
    skip_to_content: "Skip to content",
    language_switch: "Language",
    footer_note: "The City of Helsinki's feedback service. This site uses no tracking cookies.",
    figures_link: "Service figures: how quickly feedback is handled",
    form_title: "Give feedback",
    form_intro: "Tell the city what you want it to know: a fault, a wish, a question or thanks. Your feedback goes to the unit that handles it.",
    error_summary_title: "Please correct the following",
    error_prefix: "Error: ",
    optional: "optional",
    category_label: "Topic",
    category_hint: "If you are not sure, leave it at “I don't know”: we will direct your feedback to the right unit.",
    category_unknown: "I don't know",
    description_label: "Feedback",
    description_hint: "Tell us what happened and where. Please do not write personal identity codes or health details here.",
    count_template: "{count} / {max} characters",
    title_label: "Title",
    place_legend: "Place",
    address_label: "Address or description of the place",
    address_hint: "For example a street address, a stop or a park.",
    use_my_location: "Use my location",
    location_finding: "Finding your location…",
    location_found: "Your device's location will be attached to the feedback.",
    location_failed: "Your location could not be found. Please type an address or describe the place.",
    location_unavailable: "Your browser does not share a location. Please type an address or describe the place.",
    contact_legend: "Contact details",
    contact_hint: "Contact details are optional. We use them only for this feedback: to send you an acknowledgement and our reply by email, and to ask for more information if needed. They are not shown to anyone else.",
    contact_name_label: "Name",
    contact_email_label: "Email",
    contact_email_hint: "The acknowledgement and the reply are sent to this address.",
    contact_phone_label: "Phone number",
    photos_label: "Photos",
    photos_hint_template: "Up to {files} files ({types}), each at most {megabytes} MB. Location and device details are removed from photos before they are stored.",
    privacy_title: "How your information is handled",
    privacy_seen: "Your feedback is handled by the city staff responsible for the matter.",
    privacy_public: "The feedback's text, title and place may be shown publicly through the city's open feedback interface. Your contact details are never shown.",
    submit: "Send feedback",
    confirm_title: "Thank you, your feedback has been received",
    confirm_lead: "Your feedback's reference is",
    reference_label: "Reference",
    tracking_intro: "You can follow how your feedback is handled with this link. Keep the link: it carries a code that lets only you see your feedback's status.",
    tracking_link_text: "Follow your feedback",
    confirm_no_contact: "As you gave no email address, we send no acknowledgement. Please keep the reference and the tracking link.",
    new_feedback: "Give more feedback",
    track_title: "Your feedback",
    status_label: "Status",
    unit_label: "Handled by",
    unit_pending: "Not chosen yet",
    received_label: "Received",
    updated_label: "Updated",
    replies_title: "Replies to you",
    no_replies: "There is no reply to your feedback yet.",
    token_title: "Enter your tracking code",
    token_intro: "The status of feedback is shown only with its tracking code. The code is in the tracking link on the confirmation page.",
    token_label: "Tracking code",
    token_hint: "Paste the code from the tracking link (the part after token=).",
    token_submit: "Show the status",
    token_invalid: "No feedback was found with that reference and code. Please check that you copied the whole tracking link.",
    forbidden_title: "The form has expired",
    forbidden_text: "The form could not be sent because its security code was missing or not valid. This can happen when cookies are blocked or the form was open for a long time. Your feedback was not saved. Please open the form again and send your feedback.",
    rate_limited_title: "Too much feedback",
    rate_limited_template: "A lot of feedback has been sent from this address in a short time. Your feedback was not saved. Please try again in {seconds} seconds.",
    too_large_title: "The attachments are too large",
    too_large_text: "What you sent was larger than allowed. Your feedback was not saved. Please send fewer or smaller photos.",
    unreadable_title: "What you sent could not be read",
    unreadable_text: "The form's contents could not be read. Your feedback was not saved. Please try again.",
    failure_title: "The service has a problem",
    failure_text: "Your feedback could not be handled just now. Please try again in a moment.",
    back_to_form: "Back to the feedback form",
    already_sent: "This form has already been sent, and its contents are now different. To send it as new feedback, check the details and send it again.",
    photos_again: "Please choose your photos again: they are not kept when the form has something to correct.",
    err_required: "Please write your feedback.",
    err_too_long_template: "The text is too long: at most {max} characters.",
    err_category_unknown: "Choose a topic from the list, or choose “I don't know”.",
    err_email_invalid: "Enter an email address like name@example.com.",
    err_phone_invalid: "A phone number has 5 to 20 digits and may contain + - ( ) and spaces.",
    err_location_invalid: "Your device's location was not valid. Please type an address or describe the place.",
    err_invalid: "Please check this.",
    err_photos_too_many_template: "You can attach at most {max} files.",
    err_photo_too_large_template: "{file} is too large: at most {megabytes} MB.",
    err_photo_empty_template: "{file} is an empty file.",
    err_photo_type_template: "{file} is not of an accepted type. Accepted: {types}.",
    err_photo_damaged_template: "{file} is damaged and could not be kept.",
    questions_legend_template: "More questions: {category}",
    questions_hint: "Answer only if you chose this topic.",
    err_answer_missing: "Please answer this question.",
    err_answer_choice: "Please choose one of the options.",
    err_answer_number: "Please write the answer as a number.",
    err_answer_date: "Please give the date as yyyy-mm-dd.",
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
