import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { NO_TRUNCATE } from "../../../shared/components/badges.component";
import { formatDateTime } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCatalog } from "../../catalog/api";
import {
  type Mailbox,
  type MailboxInput,
  type MailboxTestResult,
  useDeleteMailbox,
  useMailboxes,
  useSaveMailbox,
  useTestMailbox,
} from "../api";
import { describeEmailError } from "../errors";
import { EmailErrorAlert, EmptyState, SkeletonRows } from "./common.component";

function MailboxForm({ mailbox, onDone }: { mailbox: Mailbox | null; onDone: () => void }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const save = useSaveMailbox();
  const queues = useCatalog("queues");
  const creating = mailbox === null;
  const fromEnv = mailbox?.source === "env";
  const [name, setName] = useState(mailbox?.name ?? "");
  const [host, setHost] = useState(mailbox?.host ?? "");
  const [port, setPort] = useState<number>(mailbox?.port ?? 993);
  const [tls, setTls] = useState(mailbox?.tls ?? true);
  const [username, setUsername] = useState(mailbox?.username ?? "");
  const [password, setPassword] = useState("");
  const [folder, setFolder] = useState(mailbox?.folder ?? "INBOX");
  const [queueId, setQueueId] = useState<string | null>(mailbox?.queue_id ? String(mailbox.queue_id) : null);
  const [enabled, setEnabled] = useState(mailbox?.is_enabled ?? true);
  const portValid = Number.isInteger(port) && port >= 1 && port <= 65535;
  const valid =
    name.trim() !== "" &&
    host.trim() !== "" &&
    username !== "" &&
    folder.trim() !== "" &&
    portValid &&
    (!creating || password !== "");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!valid) {
      return;
    }
    const queue = queueId ? Number(queueId) : undefined;
    const body: Partial<MailboxInput> = fromEnv
      ? { name: name.trim(), is_enabled: enabled, queue_id: queue }
      : {
          name: name.trim(),
          host: host.trim(),
          port,
          tls,
          username,
          folder: folder.trim(),
          queue_id: queue,
          is_enabled: enabled,
          ...(password ? { password } : {}),
        };
    save.mutate(
      { id: mailbox?.id, body },
      {
        onSuccess: () => {
          notify.success(creating ? t("emailAdmin.mailboxes.created") : t("common.saved"));
          onDone();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {fromEnv ? <Alert color="yellow">{t("emailAdmin.mailboxes.envNote")}</Alert> : null}
        {save.isError ? <EmailErrorAlert error={save.error} title={t("emailAdmin.saveFailed")} /> : null}
        <TextInput
          label={t("emailAdmin.mailboxes.name")}
          description={t("emailAdmin.mailboxes.nameHint")}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label={t("emailAdmin.mailboxes.host")}
            placeholder="imap.example.com"
            required
            disabled={fromEnv}
            value={host}
            onChange={(e) => setHost(e.currentTarget.value)}
            style={{ flex: "1 1 200px" }}
          />
          <NumberInput
            label={t("emailAdmin.mailboxes.port")}
            min={1}
            max={65535}
            allowDecimal={false}
            disabled={fromEnv}
            value={port}
            onChange={(value) => setPort(typeof value === "number" ? value : Number(value) || 0)}
            error={portValid ? null : t("emailAdmin.portInvalid")}
            w={110}
          />
        </Group>
        <Switch
          label={t("emailAdmin.mailboxes.tls")}
          disabled={fromEnv}
          checked={tls}
          onChange={(e) => setTls(e.currentTarget.checked)}
        />
        <TextInput
          label={t("emailAdmin.mailboxes.user")}
          required
          autoComplete="off"
          disabled={fromEnv}
          value={username}
          onChange={(e) => setUsername(e.currentTarget.value)}
        />
        <PasswordInput
          label={
            <Group gap={6} component="span">
              {t("emailAdmin.mailboxes.password")}
              {mailbox?.has_password ? (
                <Badge size="xs" color="green" variant="light" component="span">
                  {t("emailAdmin.passwordSaved")}
                </Badge>
              ) : null}
            </Group>
          }
          description={creating ? undefined : t("emailAdmin.passwordKeepHint")}
          required={creating}
          autoComplete="new-password"
          disabled={fromEnv}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <TextInput
          label={t("emailAdmin.mailboxes.folder")}
          required
          disabled={fromEnv}
          value={folder}
          onChange={(e) => setFolder(e.currentTarget.value)}
        />
        <Select
          label={t("emailAdmin.mailboxes.queue")}
          description={t("emailAdmin.mailboxes.queueHint")}
          placeholder={t("emailAdmin.mailboxes.defaultQueue")}
          data={(queues.data ?? []).map((q) => ({ value: String(q.id), label: q.name }))}
          value={queueId}
          onChange={setQueueId}
          clearable={creating}
        />
        <Switch
          label={t("emailAdmin.mailboxes.enabled")}
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} disabled={!valid}>
            {creating ? t("common.create") : t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function TestResultAlert({
  mailbox,
  result,
  onClose,
}: {
  mailbox: Mailbox | undefined;
  result: MailboxTestResult | { ok: false; error: string };
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const name = mailbox?.name ?? "";
  return (
    <Alert
      color={result.ok ? "green" : "red"}
      role="status"
      title={
        result.ok
          ? t("emailAdmin.mailboxes.testOk", { name })
          : t("emailAdmin.mailboxes.testFailed", { name })
      }
      withCloseButton
      onClose={onClose}
      closeButtonLabel={t("common.close")}
    >
      {result.ok ? (
        t("emailAdmin.mailboxes.testOkDetail", {
          count: result.messages,
          idle: result.idle ? t("common.yes") : t("common.no"),
        })
      ) : (
        <Text size="sm" style={{ wordBreak: "break-word" }}>
          {result.error}
        </Text>
      )}
    </Alert>
  );
}

/** IMAP mailboxes the worker reads: status of the last fetch, add/edit/delete and a connection test. */
export function MailboxesPanel() {
  const { t, i18n } = useTranslation();
  const notify = useNotify();
  const mailboxes = useMailboxes();
  const queues = useCatalog("queues");
  const remove = useDeleteMailbox();
  const test = useTestMailbox();
  const [editing, setEditing] = useState<Mailbox | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<Mailbox | null>(null);
  const [tested, setTested] = useState<{ id: number; result: MailboxTestResult } | null>(null);
  const [testingId, setTestingId] = useState<number | null>(null);
  const rows = mailboxes.data ?? [];
  const queueName = (id: number | null) =>
    id === null ? "—" : (queues.data?.find((q) => q.id === id)?.name ?? `#${id}`);

  const runTest = (mailbox: Mailbox) => {
    setTested(null);
    setTestingId(mailbox.id);
    test.mutate(mailbox.id, {
      onSuccess: (result) => setTested({ id: mailbox.id, result }),
      onError: (error) =>
        setTested({ id: mailbox.id, result: { ok: false, error: describeEmailError(error, t) } }),
      onSettled: () => setTestingId(null),
    });
  };

  const confirmDelete = () => {
    if (!deleting) {
      return;
    }
    remove.mutate(deleting.id, {
      onSuccess: () => {
        notify.success(t("emailAdmin.mailboxes.deleted"));
        setDeleting(null);
      },
    });
  };

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          {t("emailAdmin.mailboxes.intro")}
        </Text>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
          {t("emailAdmin.mailboxes.add")}
        </Button>
      </Group>
      {tested ? (
        <TestResultAlert
          mailbox={rows.find((m) => m.id === tested.id)}
          result={tested.result}
          onClose={() => setTested(null)}
        />
      ) : null}
      {mailboxes.isError ? (
        <EmailErrorAlert error={mailboxes.error} onRetry={() => void mailboxes.refetch()} />
      ) : null}
      {mailboxes.isSuccess && rows.length === 0 ? (
        <EmptyState title={t("emailAdmin.mailboxes.emptyTitle")} hint={t("emailAdmin.mailboxes.emptyHint")} />
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={t("emailAdmin.tabs.mailboxes")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("emailAdmin.mailboxes.name")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.host")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.user")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.folder")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.queue")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.state")}</Table.Th>
                <Table.Th>{t("emailAdmin.mailboxes.lastFetch")}</Table.Th>
                <Table.Th>{t("common.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {mailboxes.isPending ? <SkeletonRows columns={8} /> : null}
              {rows.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {m.name}
                    </Text>
                    {m.source === "env" ? (
                      <Badge size="xs" variant="outline" color="gray" styles={NO_TRUNCATE}>
                        {t("emailAdmin.mailboxes.fromEnv")}
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    {m.host}:{m.port}
                    {m.tls ? null : (
                      <Text span size="xs" c="dimmed">
                        {" "}
                        ({t("emailAdmin.mailboxes.noTls")})
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{m.username}</Table.Td>
                  <Table.Td>{m.folder}</Table.Td>
                  <Table.Td>{queueName(m.queue_id)}</Table.Td>
                  <Table.Td>
                    <Badge color={m.is_enabled ? "green" : "gray"} variant="light" styles={NO_TRUNCATE}>
                      {m.is_enabled
                        ? t("emailAdmin.mailboxes.enabledShort")
                        : t("emailAdmin.mailboxes.disabled")}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                      {m.last_fetch_at
                        ? formatDateTime(m.last_fetch_at, i18n.language)
                        : t("emailAdmin.mailboxes.neverFetched")}
                    </Text>
                    {m.last_error ? (
                      <Tooltip label={m.last_error} multiline w={360} withArrow>
                        <Text size="xs" c="red" lineClamp={2} maw={280} style={{ wordBreak: "break-word" }}>
                          {t("emailAdmin.mailboxes.lastError", {
                            time: formatDateTime(m.last_error_at, i18n.language),
                          })}
                          : {m.last_error}
                        </Text>
                      </Tooltip>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="light"
                        loading={testingId === m.id}
                        onClick={() => runTest(m)}
                        aria-label={`${t("emailAdmin.mailboxes.test")} ${m.name}`}
                      >
                        {t("emailAdmin.mailboxes.test")}
                      </Button>
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => setEditing(m)}
                        aria-label={`${t("common.edit")} ${m.name}`}
                      >
                        {t("common.edit")}
                      </Button>
                      {m.source === "env" ? null : (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => {
                            remove.reset();
                            setDeleting(m);
                          }}
                          aria-label={`${t("common.delete")} ${m.name}`}
                        >
                          {t("common.delete")}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal
        opened={editing !== undefined}
        onClose={() => setEditing(undefined)}
        title={editing ? t("emailAdmin.mailboxes.edit") : t("emailAdmin.mailboxes.add")}
      >
        {editing !== undefined ? (
          <MailboxForm mailbox={editing} onDone={() => setEditing(undefined)} />
        ) : null}
      </Modal>
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={t("emailAdmin.mailboxes.deleteTitle")}
      >
        <Stack>
          <Text size="sm">{t("emailAdmin.mailboxes.deleteConfirm", { name: deleting?.name ?? "" })}</Text>
          {remove.isError ? (
            <EmailErrorAlert error={remove.error} title={t("emailAdmin.deleteFailed")} />
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              {t("common.cancel")}
            </Button>
            <Button color="red" loading={remove.isPending} onClick={confirmDelete}>
              {t("common.delete")}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
