import { LANGUAGES, LIMITS, THEMES, type TLanguage, type TTheme } from "@helpdesk/contracts";
import {
  Button,
  Paper,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
  useMantineColorScheme,
} from "@mantine/core";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { applyLanguage } from "../../../app/i18n";
import { useNotify } from "../../../shared/hooks/use-notify";
import { NotificationSettings } from "../../notifications/components/notification-settings.component";
import { TelegramLinkCard } from "../../telegram/components/telegram-link.component";
import { useChangePassword, useCurrentUser, useUpdateProfile } from "../api";

export default function ProfilePage() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const update = useUpdateProfile();
  const changePassword = useChangePassword();
  const notify = useNotify();
  const { setColorScheme } = useMantineColorScheme();
  const [name, setName] = useState(user.name);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");

  const saveName = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      { name: name.trim() },
      { onSuccess: () => notify.success(t("common.saved")), onError: notify.error },
    );
  };
  const saveLanguage = (language: TLanguage) => {
    applyLanguage(language);
    update.mutate({ language }, { onError: notify.error });
  };
  const saveTheme = (theme: TTheme) => {
    setColorScheme(theme === "system" ? "auto" : theme);
    update.mutate({ theme }, { onError: notify.error });
  };
  const mismatch = confirm.length > 0 && confirm !== next;
  const savePassword = (event: FormEvent) => {
    event.preventDefault();
    if (mismatch || next.length < LIMITS.passwordMin) {
      return;
    }
    changePassword.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          notify.success(t("profile.passwordChanged"));
          setCurrent("");
          setNext("");
          setConfirm("");
        },
        onError: notify.error,
      },
    );
  };

  return (
    <Stack maw={720}>
      <Title order={1} size="h2">
        {t("profile.title")}
      </Title>
      <Paper withBorder p="md">
        <form onSubmit={saveName}>
          <Stack>
            <Title order={2} size="h4">
              {t("profile.details")}
            </Title>
            <Text size="sm">
              {user.email} · {t("profile.role")}: {t(`roles.${user.role}`)}
            </Text>
            <TextInput
              label={t("auth.name")}
              value={name}
              maxLength={LIMITS.nameMax}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <Button type="submit" w="fit-content" loading={update.isPending} disabled={!name.trim()}>
              {t("common.save")}
            </Button>
          </Stack>
        </form>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={2} size="h4">
            {t("profile.preferences")}
          </Title>
          <Select
            label={t("language.label")}
            data={LANGUAGES.map((language) => ({ value: language, label: t(`language.${language}`) }))}
            value={user.language}
            allowDeselect={false}
            onChange={(value) => value && saveLanguage(value as TLanguage)}
          />
          <div>
            <Text size="sm" fw={500} mb={4} id="theme-label">
              {t("theme.label")}
            </Text>
            <SegmentedControl
              aria-labelledby="theme-label"
              data={THEMES.map((theme) => ({ value: theme, label: t(`theme.${theme}`) }))}
              value={user.theme}
              onChange={(value) => saveTheme(value as TTheme)}
            />
          </div>
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <form onSubmit={savePassword}>
          <Stack>
            <Title order={2} size="h4">
              {t("profile.changePassword")}
            </Title>
            <PasswordInput
              label={t("profile.currentPassword")}
              autoComplete="current-password"
              value={current}
              onChange={(event) => setCurrent(event.currentTarget.value)}
            />
            <PasswordInput
              label={t("profile.newPassword")}
              description={t("auth.passwordHint", { min: LIMITS.passwordMin })}
              autoComplete="new-password"
              value={next}
              onChange={(event) => setNext(event.currentTarget.value)}
            />
            <PasswordInput
              label={t("profile.confirmPassword")}
              autoComplete="new-password"
              value={confirm}
              onChange={(event) => setConfirm(event.currentTarget.value)}
              error={mismatch ? t("profile.passwordsDiffer") : null}
            />
            <Button
              type="submit"
              w="fit-content"
              loading={changePassword.isPending}
              disabled={!current || next.length < LIMITS.passwordMin || next !== confirm}
            >
              {t("profile.changePassword")}
            </Button>
          </Stack>
        </form>
      </Paper>
      <TelegramLinkCard />
      <NotificationSettings />
    </Stack>
  );
}
