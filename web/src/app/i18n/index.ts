import type { TLanguage } from "@helpdesk/contracts";
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import adminChannelsEn from "./admin-channels.en.json";
import adminChannelsRu from "./admin-channels.ru.json";
import adminEmailEn from "./admin-email.en.json";
import adminEmailRu from "./admin-email.ru.json";
import en from "./en.json";
import ru from "./ru.json";

const STORAGE_KEY = "hd.language";

/** Language before the profile is known: last choice on this device, else the browser's. */
export function detectLanguage(): TLanguage {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "ru" || stored === "en") {
    return stored;
  }
  const browser = navigator.languages?.[0] ?? navigator.language ?? "en";
  return browser.toLowerCase().startsWith("ru") ? "ru" : "en";
}

/** Switches the UI language and remembers it on this device. */
export function applyLanguage(language: TLanguage): void {
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
  if (i18n.language !== language) {
    void i18n.changeLanguage(language);
  }
}

void i18n.use(initReactI18next).init({
  resources: {
    en: { translation: { ...en, ...adminEmailEn, ...adminChannelsEn } },
    ru: { translation: { ...ru, ...adminEmailRu, ...adminChannelsRu } },
  },
  lng: detectLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export { i18n };
