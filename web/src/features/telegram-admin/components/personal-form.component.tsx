import { Alert, Anchor, Button, Group, List, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle, IconExternalLink } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNotify } from "../../../shared/hooks/use-notify";
import {
  API_HASH_PATTERN,
  API_ID_MAX,
  PHONE_NUMBER_PATTERN,
  type TelegramAccount,
  useCreateTelegramPersonal,
  useUpdateTelegramAccount,
} from "../api";
import { invalidFields } from "../errors";
import { QueueSelect, TelegramErrorAlert } from "./common.component";

const MY_TELEGRAM_URL = "https://my.telegram.org";

/** A positive 32-bit integer typed as digits, or null. */
function parseApiId(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return value > 0 && value <= API_ID_MAX ? value : null;
}

/** Where api_id and api_hash come from: my.telegram.org, "API development tools". */
function CredentialsHelp() {
  const { t } = useTranslation();
  return (
    <Stack gap={6}>
      <Text size="sm">{t("telegramAdmin.personal.credentialsIntro")}</Text>
      <List type="ordered" size="sm" spacing={2} c="dimmed">
        <List.Item>
          {t("telegramAdmin.personal.credentialsStep1")}{" "}
          <Anchor href={MY_TELEGRAM_URL} target="_blank" rel="noopener noreferrer" inherit>
            my.telegram.org
            <IconExternalLink size={12} style={{ marginLeft: 2, verticalAlign: "-1px" }} aria-hidden />
          </Anchor>{" "}
          {t("telegramAdmin.personal.credentialsStep1b")}
        </List.Item>
        <List.Item>{t("telegramAdmin.personal.credentialsStep2")}</List.Item>
        <List.Item>{t("telegramAdmin.personal.credentialsStep3")}</List.Item>
        <List.Item>{t("telegramAdmin.personal.credentialsStep4")}</List.Item>
      </List>
    </Stack>
  );
}

type Props = {
  /** null: a new account; else its name and queue are edited (the rest is fixed once added). */
  account: TelegramAccount | null;
  /** Closes the form; with the new account after adding one (its log-in comes next). */
  onDone: (created?: TelegramAccount) => void;
};

/** Adds a personal account (not logged in yet), or changes a personal account's name and queue. */
export function PersonalForm({ account, onDone }: Props) {
  const { t } = useTranslation();
  const notify = useNotify();
  const create = useCreateTelegramPersonal();
  const update = useUpdateTelegramAccount();
  const creating = account === null;
  const save = creating ? create : update;
  const [name, setName] = useState(account?.name ?? "");
  const [phone, setPhone] = useState("");
  const [apiId, setApiId] = useState("");
  const [apiHash, setApiHash] = useState("");
  const [queueId, setQueueId] = useState<string | null>(account?.queue_id ? String(account.queue_id) : null);
  const [touched, setTouched] = useState(false);
  // Fields left once: a wrong value shows its message then, an empty one only on sending.
  const [left, setLeft] = useState<ReadonlySet<string>>(new Set());
  const leave = (field: string) => setLeft((fields) => new Set(fields).add(field));

  const trimmedPhone = phone.trim();
  const trimmedHash = apiHash.trim();
  const parsedApiId = parseApiId(apiId.trim());
  const phoneValid = PHONE_NUMBER_PATTERN.test(trimmedPhone);
  const hashValid = API_HASH_PATTERN.test(trimmedHash);
  const valid = name.trim() !== "" && (!creating || (phoneValid && parsedApiId !== null && hashValid));
  const serverInvalid = invalidFields(save.error);
  // A field's own message once the form was sent or it was left filled, or when the server named it.
  const fieldError = (field: string, isValid: boolean, filled: boolean, message: string) =>
    (!isValid && (touched || (filled && left.has(field)))) || serverInvalid.has(field) ? message : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!valid) {
      return;
    }
    const queue = queueId ? Number(queueId) : null;
    if (creating) {
      if (parsedApiId === null) {
        return;
      }
      create.mutate(
        {
          name: name.trim(),
          account_type: "personal",
          phone_number: trimmedPhone,
          api_id: parsedApiId,
          api_hash: trimmedHash,
          queue_id: queue,
        },
        {
          onSuccess: (created) => {
            notify.success(t("telegramAdmin.personal.created", { name: created.name }));
            onDone(created);
          },
        },
      );
      return;
    }
    update.mutate(
      { id: account.id, body: { name: name.trim(), queue_id: queue } },
      {
        onSuccess: () => {
          notify.success(t("common.saved"));
          onDone();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {creating ? (
          <Alert
            color="yellow"
            variant="light"
            icon={<IconAlertTriangle size={18} />}
            title={t("telegramAdmin.personal.warningTitle")}
            // A standing warning, not news: no "alert" announcement when the form opens.
            role="note"
          >
            {t("telegramAdmin.personal.warning")}
          </Alert>
        ) : null}
        <TextInput
          label={t("telegramAdmin.name")}
          description={t("telegramAdmin.personal.nameHint")}
          required
          data-autofocus
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={touched && name.trim() === "" ? t("telegramAdmin.nameRequired") : null}
        />
        {creating ? (
          <>
            <TextInput
              label={t("telegramAdmin.personal.phone")}
              description={t("telegramAdmin.personal.phoneHint")}
              placeholder={t("telegramAdmin.personal.phonePlaceholder")}
              required
              type="tel"
              inputMode="tel"
              autoComplete="off"
              maxLength={20}
              value={phone}
              onBlur={() => leave("phone_number")}
              onChange={(e) => {
                setPhone(e.currentTarget.value);
                if (serverInvalid.has("phone_number")) {
                  save.reset();
                }
              }}
              error={fieldError(
                "phone_number",
                phoneValid,
                trimmedPhone !== "",
                t("telegramAdmin.personal.phoneInvalid"),
              )}
            />
            <CredentialsHelp />
            <TextInput
              label={t("telegramAdmin.personal.apiId")}
              placeholder="1234567"
              required
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              maxLength={10}
              value={apiId}
              onBlur={() => leave("api_id")}
              onChange={(e) => {
                setApiId(e.currentTarget.value);
                if (serverInvalid.has("api_id")) {
                  save.reset();
                }
              }}
              error={fieldError(
                "api_id",
                parsedApiId !== null,
                apiId.trim() !== "",
                t("telegramAdmin.personal.apiIdInvalid"),
              )}
            />
            <PasswordInput
              label={t("telegramAdmin.personal.apiHash")}
              description={t("telegramAdmin.personal.apiHashHint")}
              placeholder="0123456789abcdef…"
              required
              autoComplete="off"
              spellCheck={false}
              maxLength={64}
              value={apiHash}
              onBlur={() => leave("api_hash")}
              onChange={(e) => {
                setApiHash(e.currentTarget.value);
                if (serverInvalid.has("api_hash")) {
                  save.reset();
                }
              }}
              error={fieldError(
                "api_hash",
                hashValid,
                trimmedHash !== "",
                t("telegramAdmin.personal.apiHashInvalid"),
              )}
            />
          </>
        ) : (
          <Text size="sm">
            {t("telegramAdmin.personal.phone")}:{" "}
            <Text span fw={500}>
              {account.phone_number ?? t("common.none")}
            </Text>
          </Text>
        )}
        <QueueSelect
          value={queueId}
          onChange={setQueueId}
          description={t("telegramAdmin.personal.queueHint")}
        />
        {creating ? (
          <Text size="xs" c="dimmed">
            {t("telegramAdmin.personal.nextLogin")}
          </Text>
        ) : null}
        {/* Next to the buttons: the form is long, its top may be scrolled away. */}
        {save.isError ? (
          <TelegramErrorAlert error={save.error} title={t("telegramAdmin.personal.saveFailed")} />
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => onDone()}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} disabled={touched && !valid}>
            {creating ? t("telegramAdmin.personal.addSubmit") : t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
