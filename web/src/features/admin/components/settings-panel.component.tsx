import { LANGUAGES, LIMITS, type TLanguage } from "@helpdesk/contracts";
import { Button, NumberInput, Paper, Select, Skeleton, Stack, TextInput } from "@mantine/core";
import { type FormEvent, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useSaveSettings, useSettings } from "../api";

const DOMAIN_RE = /^([a-z0-9-]+\.)+[a-z]{2,}$/;

/** Organisation-wide settings: allowed e-mail domain, auto-hide hours, name, default language. */
export function SettingsPanel() {
  const { t } = useTranslation();
  const notify = useNotify();
  const settings = useSettings();
  const save = useSaveSettings();
  const [domain, setDomain] = useState("");
  const [hours, setHours] = useState<number>(24);
  const [organisation, setOrganisation] = useState("");
  const [language, setLanguage] = useState<TLanguage>("ru");

  useEffect(() => {
    if (settings.data) {
      setDomain(settings.data.allowed_email_domain ?? "");
      setHours(settings.data.auto_hide_hours);
      setOrganisation(settings.data.organisation_name);
      setLanguage(settings.data.default_language);
    }
  }, [settings.data]);

  if (settings.isPending) {
    return <Skeleton height={240} />;
  }
  if (settings.isError) {
    return <ErrorAlert error={settings.error} onRetry={() => void settings.refetch()} />;
  }

  const cleanDomain = domain.trim().toLowerCase().replace(/^@/, "");
  const domainInvalid = cleanDomain !== "" && !DOMAIN_RE.test(cleanDomain);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (domainInvalid) {
      return;
    }
    save.mutate(
      {
        allowed_email_domain: cleanDomain || null,
        auto_hide_hours: hours,
        organisation_name: organisation.trim(),
        default_language: language,
      },
      { onSuccess: () => notify.success(t("common.saved")), onError: notify.error },
    );
  };

  return (
    <Paper withBorder p="md" maw={560}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label={t("admin.organisationName")}
            maxLength={LIMITS.nameMax}
            value={organisation}
            onChange={(e) => setOrganisation(e.currentTarget.value)}
          />
          <TextInput
            label={t("admin.allowedDomain")}
            description={t("admin.allowedDomainHint")}
            placeholder="example.com"
            leftSection="@"
            value={domain}
            onChange={(e) => setDomain(e.currentTarget.value)}
            error={domainInvalid ? t("admin.domainInvalid") : null}
          />
          <NumberInput
            label={t("admin.autoHideHours")}
            min={0}
            max={24 * 365}
            value={hours}
            onChange={(value) => setHours(typeof value === "number" ? value : Number(value) || 0)}
          />
          <Select
            label={t("admin.defaultLanguage")}
            data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
            value={language}
            allowDeselect={false}
            onChange={(value) => value && setLanguage(value as TLanguage)}
          />
          <Button type="submit" w="fit-content" loading={save.isPending} disabled={domainInvalid}>
            {t("common.save")}
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}
