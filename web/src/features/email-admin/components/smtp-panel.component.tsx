import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  Skeleton,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { IconInfoCircle } from "@tabler/icons-react";
import { type FormEvent, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCurrentUser } from "../../auth/api";
import { type SmtpInput, type TestMailResult, useSaveSmtp, useSendTestMail, useSmtpSettings } from "../api";
import { EmailErrorAlert } from "./common.component";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function TestMailResultAlert({ result, to }: { result: TestMailResult; to: string }) {
  const { t } = useTranslation();
  if (result.via === "outbox") {
    return (
      <Alert color="blue" role="status" title={t("emailAdmin.smtp.testOutboxTitle")}>
        {t("emailAdmin.smtp.testOutbox", { to })}{" "}
        <Anchor component={Link} to="/admin/outbox">
          {t("emailAdmin.smtp.openOutbox")}
        </Anchor>
      </Alert>
    );
  }
  return (
    <Alert color="green" role="status" title={t("emailAdmin.smtp.testSentTitle")}>
      {t("emailAdmin.smtp.testSent", { to })}
    </Alert>
  );
}

/** Sends the test mail to an address (the admin's own by default) and shows what happened. */
function TestMailCard() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const send = useSendTestMail();
  const [to, setTo] = useState(user.email ?? "");
  const [sentTo, setSentTo] = useState("");
  const valid = EMAIL_RE.test(to.trim());

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!valid) {
      return;
    }
    setSentTo(to.trim());
    send.mutate(to.trim());
  };

  return (
    <Paper withBorder p="md" maw={640}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Title order={2} size="h4">
            {t("emailAdmin.smtp.testTitle")}
          </Title>
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label={t("emailAdmin.smtp.testTo")}
              type="email"
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
              error={to && !valid ? t("emailAdmin.smtp.addressInvalid") : null}
              style={{ flex: "1 1 240px" }}
            />
            <Button type="submit" variant="light" loading={send.isPending} disabled={!valid}>
              {t("emailAdmin.smtp.sendTest")}
            </Button>
          </Group>
          {send.isSuccess ? <TestMailResultAlert result={send.data} to={sentTo} /> : null}
          {send.isError ? (
            <EmailErrorAlert error={send.error} title={t("emailAdmin.smtp.testFailedTitle")} />
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}

const DELIVERY_NOTE = {
  smtp: "emailAdmin.smtp.viaSmtp",
  outbox: "emailAdmin.smtp.viaOutbox",
  stopped: "emailAdmin.smtp.viaStopped",
} as const;

/** Outgoing mail: SMTP server, credentials and the From address; environment values win. */
export function SmtpPanel() {
  const { t } = useTranslation();
  const notify = useNotify();
  const settings = useSmtpSettings();
  const save = useSaveSmtp();
  const [host, setHost] = useState("");
  const [port, setPort] = useState<number>(587);
  const [secure, setSecure] = useState(false);
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [clearPassword, setClearPassword] = useState(false);
  const [from, setFrom] = useState("");

  useEffect(() => {
    if (settings.data) {
      setHost(settings.data.host);
      setPort(settings.data.port);
      setSecure(settings.data.secure);
      setUser(settings.data.user);
      setFrom(settings.data.from);
      setPassword("");
      setClearPassword(false);
    }
  }, [settings.data]);

  if (settings.isPending) {
    return (
      <Stack maw={640}>
        <Skeleton height={360} />
        <Skeleton height={120} />
      </Stack>
    );
  }
  if (settings.isError) {
    return <EmailErrorAlert error={settings.error} onRetry={() => void settings.refetch()} />;
  }

  const data = settings.data;
  const portValid = Number.isInteger(port) && port >= 1 && port <= 65535;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!portValid) {
      return;
    }
    const body: SmtpInput = { host: host.trim(), port, secure, user: user.trim(), from: from.trim() };
    if (password) {
      body.password = password;
    } else if (clearPassword) {
      body.password = null;
    }
    save.mutate(body, {
      onSuccess: () => notify.success(t("common.saved")),
    });
  };

  return (
    <Stack>
      {data.env_overrides.smtp_url ? (
        <Alert color="yellow" icon={<IconInfoCircle size={18} />} maw={640}>
          {t("emailAdmin.smtp.envSmtpUrl")}
        </Alert>
      ) : null}
      {data.delivery === "stopped" ? (
        <Alert color="orange" icon={<IconInfoCircle size={18} />} maw={640}>
          {t("emailAdmin.smtp.stopped")}{" "}
          <Anchor component={Link} to="/admin/channels">
            {t("emailAdmin.smtp.openChannels")}
          </Anchor>
        </Alert>
      ) : null}
      {data.delivery === "outbox" ? (
        <Alert color="blue" icon={<IconInfoCircle size={18} />} maw={640}>
          {t("emailAdmin.smtp.noSmtp")}{" "}
          <Anchor component={Link} to="/admin/outbox">
            {t("emailAdmin.smtp.openOutbox")}
          </Anchor>
        </Alert>
      ) : null}
      <Paper withBorder p="md" maw={640}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={2} size="h4">
              {t("emailAdmin.smtp.title")}
            </Title>
            {save.isError ? <EmailErrorAlert error={save.error} title={t("emailAdmin.saveFailed")} /> : null}
            <Group align="flex-start" wrap="wrap">
              <TextInput
                label={t("emailAdmin.smtp.host")}
                description={t("emailAdmin.smtp.hostHint")}
                placeholder="smtp.example.com"
                value={host}
                onChange={(e) => setHost(e.currentTarget.value)}
                style={{ flex: "1 1 260px" }}
              />
              <NumberInput
                label={t("emailAdmin.smtp.port")}
                description={t("emailAdmin.smtp.portHint")}
                min={1}
                max={65535}
                allowDecimal={false}
                value={port}
                onChange={(value) => setPort(typeof value === "number" ? value : Number(value) || 0)}
                error={portValid ? null : t("emailAdmin.portInvalid")}
                w={140}
              />
            </Group>
            <Switch
              label={t("emailAdmin.smtp.secure")}
              description={t("emailAdmin.smtp.secureHint")}
              checked={secure}
              onChange={(e) => setSecure(e.currentTarget.checked)}
            />
            <TextInput
              label={t("emailAdmin.smtp.user")}
              autoComplete="off"
              value={user}
              onChange={(e) => setUser(e.currentTarget.value)}
            />
            <Stack gap={6}>
              <PasswordInput
                label={
                  <Group gap={6} component="span">
                    {t("emailAdmin.smtp.password")}
                    {data.has_password && !clearPassword ? (
                      <Badge size="xs" color="green" variant="light" component="span">
                        {t("emailAdmin.passwordSaved")}
                      </Badge>
                    ) : null}
                  </Group>
                }
                description={
                  data.has_password ? t("emailAdmin.passwordKeepHint") : t("emailAdmin.smtp.passwordHint")
                }
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                disabled={clearPassword}
              />
              {data.has_password ? (
                <Checkbox
                  size="xs"
                  label={t("emailAdmin.smtp.clearPassword")}
                  checked={clearPassword}
                  onChange={(e) => {
                    setClearPassword(e.currentTarget.checked);
                    setPassword("");
                  }}
                />
              ) : null}
            </Stack>
            <TextInput
              label={t("emailAdmin.smtp.from")}
              description={
                data.env_overrides.mail_from
                  ? t("emailAdmin.smtp.envMailFrom", { from: data.effective_from })
                  : t("emailAdmin.smtp.fromHint", { from: data.effective_from })
              }
              placeholder="Helpdesk <helpdesk@example.com>"
              value={from}
              onChange={(e) => setFrom(e.currentTarget.value)}
            />
            <Group justify="space-between" wrap="wrap">
              <Button type="submit" w="fit-content" loading={save.isPending} disabled={!portValid}>
                {t("common.save")}
              </Button>
              <Text size="xs" c="dimmed">
                {t(DELIVERY_NOTE[data.delivery])}
              </Text>
            </Group>
          </Stack>
        </form>
      </Paper>
      <TestMailCard />
    </Stack>
  );
}
