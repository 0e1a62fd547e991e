// The web door's contract as the tests read it: where each page lives in each
// language, and the sample feedback a resident writes.

export const LANGUAGES = ['fi', 'sv', 'en'];

const FORM_PATHS = { fi: '/', sv: '/sv', en: '/en' };
const FIGURES_PATHS = { fi: '/palvelu', sv: '/tjanst', en: '/service' };

// The browser's language, so that pages chosen by Accept-Language (tracking) agree.
export const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

// What the resident sees once the case has reached a unit: core's CaseStatus::Routed.
export const ROUTED_STATUS = { fi: 'Käsittelyssä', sv: 'Under behandling', en: 'Being handled' };

// Descriptions the organisation's keywords route to a unit (a broken street lamp).
export const STREET_LAMP = {
  fi: 'Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa',
  sv: 'Gatlyktan är trasig i hörnet av Mannerheimvägen och Runebergsgatan',
  en: 'The street lamp is broken at the corner of Mannerheimintie and Runeberginkatu',
};

export const TITLE = {
  fi: 'Rikkinäinen katulamppu',
  sv: 'Trasig gatlykta',
  en: 'Broken street lamp',
};

export function formUrl(base, lang) {
  return new URL(FORM_PATHS[lang], base).href;
}

export function figuresUrl(base, lang) {
  return new URL(FIGURES_PATHS[lang], base).href;
}
