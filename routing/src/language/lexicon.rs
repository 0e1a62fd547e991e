//! Frequent words of Finnish, Swedish and English, written down from knowledge of the
//! languages (not counted from any corpus): function words, the forms of the commonest
//! verbs, greetings and the everyday words of feedback about a city. A word found here
//! is strong evidence even when the text is two words long, which is where whatlang's
//! trigrams say little.
//!
//! A spelling shared by two of the languages ("on", "se", "alla", "is", "park") is left
//! out of both: it would speak for each equally and only dilute the rest.

use std::collections::HashMap;
use std::sync::LazyLock;

use palaute_core::Language;

use crate::text::slot;

/// How much one known word weighs, per language, indexed by [`slot`].
pub(super) fn word_weights(word: &str) -> Option<&'static [f32; 3]> {
    LEXICON.get(word)
}

static LEXICON: LazyLock<HashMap<&'static str, [f32; 3]>> = LazyLock::new(|| {
    let mut lexicon: HashMap<&'static str, [f32; 3]> = HashMap::new();
    for (language, words) in [
        (Language::Fi, FINNISH),
        (Language::Sv, SWEDISH),
        (Language::En, ENGLISH),
    ] {
        for word in words.split_whitespace() {
            lexicon.entry(word).or_default()[slot(language)] = 1.0;
        }
    }
    lexicon
});

const FINNISH: &str = "
    ja ei en et emme ette eivät eikä että kun jos kuin mutta tai vai sekä myös vain jo
    vielä nyt niin siis kuitenkin koska vaikka jotta vaan eli siksi joten sitten
    olla olen olet ole oli olin olit olisi olisin ollut olleet olivat ovat olemme olette
    olisiko onko oliko onhan
    tämä tämän tätä tässä tästä tähän nämä näitä näissä näistä tuo tuon tuota tuolla
    sen sitä siinä siitä siihen niitä niiden niissä niistä hän hänen häntä
    minä mä mun minun minua minulle minulla minulta sinä sä sun sinun sinua sinulle
    meidän meille meillä meitä teidän teille teillä teitä heidän heille heillä
    joka jotka jonka jota jossa josta johon joita joissa mikä mitä missä mistä mihin
    miksi miten millainen milloin kuka kenen kenelle kuinka paljonko montako
    kiitos kiitti kiitoksia kiittää hei moi moikka terve heippa huomenta päivää iltaa
    hyvää hyvä hyvin huono huonosti iso isot pieni pienet uusi uudet vanha vanhat
    kaikki kaikkia kaikille kaikkien joku jokin jotain mitään kukaan mikään koko muu
    muut muita aina usein joskus koskaan taas heti pian kohta tänään eilen huomenna
    täällä siellä tänne sinne kanssa ilman ennen jälkeen aikana lähellä vieressä
    edessä takana päällä alle yli kautta luona asti saakka vastaan vuoksi takia
    voi voin voit voisi voisin voisitte voisiko voiko voitteko pitää pitäisi täytyy
    kannattaa haluan haluaisin halusin haluaa tarvitaan tarvitsee tarvitsisi saa saako
    saada saanut sain saatu tulee tuli tullut tulossa tulisi menee meni mennyt tehdä
    tehty tehtiin tekee teki tiedä tiedän tiedättekö tietää kerrotteko kertoa
    kyllä joo juu ihan tosi todella erittäin aivan liian vähän paljon enemmän lisää
    ehkä varmaan oikein väärin selvä okei toki tietysti
    asia asiaa asiasta asiassa asian kerta kertaa päivä päivän viikko viikon viikkoa
    vuosi vuoden aika aikaa kello kaupunki kaupungin kaupungille katu kadulla kadun
    tie tien tiellä tietä puisto puistossa puiston koulu koulun koulussa talo talon
    talossa piha pihalla auto autot autoja bussi bussit ratikka juna roskat roskia
    roskaa roskis vesi vettä lumi lunta lumet jää jäätä valo valot rikki rikkinäinen
    kunnossa korjata korjattu korjaamaan korjata puuttuu puuttuvat toimi toimii
    eivätkä terveisin ystävällisin tervetuloa anteeksi vastaus vastausta vastata
    soittaa soitin ilmoitin ilmoitus palaute palautetta kuva kuvan kuvia liitteenä
    lähin
";

const SWEDISH: &str = "
    och att det som ett är var varit vara blir blev bli har hade haft inte ej ingen
    inget inga på med för av till från eller också bara redan än då här där hit dit
    när vad vem vilken vilket vilka varför hur jag mig min mitt mina du dig din ditt
    hon dem deras vi oss vår vårt våra ni er ert era sig sin sitt sina kan kunde ska
    skall skulle vill ville måste bör får fick kommer kom går gick gör gjorde gjort
    finns fanns ser såg tack tackar hej hejdå hallå god goda gott morgon dag kväll natt
    jul helg trevlig trevligt bra dålig dåligt stor stort stora liten litet lilla små
    nytt nya gammal gamla allt varje någon något några mycket lite mer mest väldigt
    jätte helt alldeles ganska kanske igen alltid aldrig ofta ibland snart idag igår
    imorgon efter före över mellan utan vid hos mot genom bakom framför bredvid nära
    runt sedan tills eftersom därför trots nej okej hälsningar vänliga välkommen
    förlåt ursäkta gata gatan gatorna vägen vägar staden stad skola skolan hus huset
    bilen bilar bussen spårvagn spårvagnen tåget skräp snö snön isen vatten ljus
    lampa lampan trasig trasigt trasiga sönder fungerar fungera lagas laga lagat
    lagats bild bilden bifogad bifogar ringa svar svaret svara fråga frågor
    ärende ärendet tid tiden vecka veckan året timme hela behöver behövs önskar
    hoppas tycker tror vet säga sagt jobbat jobb också dessa denna detta vems sådan
    inne ute uppe nere hem hemma borta alls nog dock väl men om den han de
";

const ENGLISH: &str = "
    the an and or but if of to at by for with without about into onto over under after
    before near next behind between through is are was were be been being am do does
    did done doesn don didn isn aren wasn weren can could couldn would wouldn should
    shouldn will won shall may might must have has had haven hasn hadn ve ll
    me my mine you your yours him his she her it its we us our they them
    their there here this that these those what which who whom whose where when why
    how not yes yeah please thanks thank cheers hello hey bye goodbye sorry good great
    nice bad big small new old all some any every each many much more most very
    really too also just only already still again always never often now then today
    yesterday tomorrow morning afternoon evening night day week year time street road
    school house car bus tram train bin rubbish litter snow ice water light lights
    broken working fixed fix help call reply answer question issue problem photo
    attached regards kind best dear welcome merry christmas weekend well far expensive
    cheap out up down off get got go going went come came make made see saw know think
    want need like would nobody someone something anything nothing everyone people
    could been lift stuck done other last first because so than such own same
    your been via per
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_speak_for_their_language() {
        assert_eq!(word_weights("och"), Some(&[0.0, 1.0, 0.0]));
        assert_eq!(word_weights("että"), Some(&[1.0, 0.0, 0.0]));
        assert_eq!(word_weights("the"), Some(&[0.0, 0.0, 1.0]));
        assert_eq!(word_weights("katulamppu"), None);
    }

    #[test]
    fn no_word_is_listed_for_two_languages() {
        for (word, weights) in LEXICON.iter() {
            let languages = weights.iter().filter(|weight| **weight > 0.0).count();
            assert_eq!(languages, 1, "{word:?} is listed for {languages} languages");
        }
    }
}
