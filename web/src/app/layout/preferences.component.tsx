import { LANGUAGES, type TLanguage } from "@helpdesk/contracts";
import { ActionIcon, Menu, useComputedColorScheme, useMantineColorScheme } from "@mantine/core";
import { IconLanguage, IconMoon, IconSun } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { useMe, useUpdateProfile } from "../../features/auth/api";
import { applyLanguage } from "../i18n";

/** Language menu; saves the choice to the profile when signed in. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const update = useUpdateProfile();
  const choose = (language: TLanguage) => {
    applyLanguage(language);
    if (me && me.language !== language) {
      update.mutate({ language });
    }
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="default" size="lg" aria-label={t("language.label")}>
          <IconLanguage size={18} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        {LANGUAGES.map((language) => (
          <Menu.Item
            key={language}
            onClick={() => choose(language)}
            fw={i18n.language === language ? 700 : undefined}
            aria-current={i18n.language === language ? "true" : undefined}
          >
            {t(`language.${language}`)}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

/** Light/dark toggle; saves the choice to the profile when signed in. */
export function ThemeToggle() {
  const { t } = useTranslation();
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme("light");
  const { data: me } = useMe();
  const update = useUpdateProfile();
  const toggle = () => {
    const next = computed === "dark" ? "light" : "dark";
    setColorScheme(next);
    if (me) {
      update.mutate({ theme: next });
    }
  };
  return (
    <ActionIcon variant="default" size="lg" onClick={toggle} aria-label={t("theme.toggle")}>
      {computed === "dark" ? <IconSun size={18} /> : <IconMoon size={18} />}
    </ActionIcon>
  );
}
