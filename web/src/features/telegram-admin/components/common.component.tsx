import { Alert, Select, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useCatalog } from "../../catalog/api";
import { describeTelegramAdminError, telegramRefusalReason } from "../errors";

/** The error of a save or delete, translated by code, with Telegram's own words under it. */
export function TelegramErrorAlert({ error, title }: { error: unknown; title: string }) {
  const { t } = useTranslation();
  const reason = telegramRefusalReason(error);
  return (
    <Alert color="red" title={title} role="alert">
      {describeTelegramAdminError(error, t)}
      {reason ? (
        <Text size="xs" c="dimmed" mt={4} style={{ wordBreak: "break-word" }}>
          {t("telegramAdmin.telegramSaid", { reason })}
        </Text>
      ) : null}
    </Alert>
  );
}

type QueueSelectProps = {
  value: string | null;
  onChange: (value: string | null) => void;
  description: string;
};

/** Where an account's new requests go: an active queue, or empty for the default one. */
export function QueueSelect({ value, onChange, description }: QueueSelectProps) {
  const { t } = useTranslation();
  const queues = useCatalog("queues");
  // Active queues to choose from; the account's own stays listed even if it has been deactivated.
  const options = (queues.data ?? [])
    .filter((q) => q.is_active || String(q.id) === value)
    .map((q) => ({ value: String(q.id), label: q.name }));
  return (
    <Select
      label={t("telegramAdmin.queue")}
      description={description}
      placeholder={t("telegramAdmin.defaultQueue")}
      data={options}
      value={value}
      onChange={onChange}
      clearable
      comboboxProps={{ withinPortal: true }}
    />
  );
}
