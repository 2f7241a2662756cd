import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  List,
  Modal,
  Paper,
  PasswordInput,
  Radio,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  UnstyledButton,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import {
  IconBrandTelegram,
  IconLogin2,
  IconPencil,
  IconPlayerPlay,
  IconPlayerStop,
  IconPlus,
  IconRefresh,
  IconTrash,
  IconUserPlus,
} from "@tabler/icons-react";
import { type FormEvent, type ReactNode, useState } from "react";
import { useTranslation } from "react-i18next";
import { NO_TRUNCATE } from "../../../shared/components/badges.component";
import { formatDateTime, formatRelative } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCatalog } from "../../catalog/api";
import { SkeletonRows } from "../../email-admin/components/common.component";
import {
  BOT_MODES,
  BOT_TOKEN_PATTERN,
  type TelegramAccount,
  type TelegramAccountPatch,
  type TelegramAccountState,
  type TelegramAction,
  type TelegramBotMode,
  useCreateTelegramBot,
  useDeleteTelegramAccount,
  useSwitchTelegramAccount,
  useTelegramAccounts,
  useUpdateTelegramAccount,
} from "../api";
import { describeTelegramAdminError, invalidFields, telegramRefusalReason } from "../errors";
import { QueueSelect, TelegramErrorAlert } from "./common.component";
import { PersonalForm } from "./personal-form.component";
import { TelegramLoginSteps } from "./telegram-login.component";

const STATE_COLORS: Record<TelegramAccountState, string> = {
  created: "blue",
  authenticating: "yellow",
  active: "green",
  stopped: "gray",
  error: "red",
};

const MODE_COLORS: Record<TelegramBotMode, string> = {
  requester: "violet",
  inbox: "cyan",
};

/** Columns of the wide table (for placeholder rows). */
const COLUMNS = 6;

/** A personal account Telegram has not let in (yet, or any more): its log-in is the next thing to do. */
function needsLogin(account: TelegramAccount): boolean {
  return account.account_type === "personal" && account.state !== "active";
}

function StateBadge({ account }: { account: TelegramAccount }) {
  const { t } = useTranslation();
  // A personal account that has never logged in says so; once logged in, "created" is as for bots.
  const loggedOut =
    account.account_type === "personal" && account.state === "created" && !account.telegram_user;
  // An enabled account no worker has picked up yet: it starts within a scan tick.
  const starting = !loggedOut && account.state === "created" && account.is_enabled;
  return (
    <Stack gap={2} align="flex-start">
      <Badge
        color={STATE_COLORS[account.state]}
        // Gray on gray: a light badge would vanish on a highlighted row.
        variant={account.state === "stopped" ? "outline" : "light"}
        styles={NO_TRUNCATE}
      >
        {loggedOut ? t("telegramAdmin.personal.notLoggedIn") : t(`telegramAdmin.states.${account.state}`)}
      </Badge>
      {starting ? (
        <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
          {t("telegramAdmin.starting")}
        </Text>
      ) : null}
    </Stack>
  );
}

/** The last error of a failing account, two lines of it; the whole text on hover or on a tap. */
function LastError({ account }: { account: TelegramAccount }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  if (account.state !== "error" || !account.last_error) {
    return null;
  }
  return (
    <Tooltip
      label={account.last_error}
      multiline
      w={360}
      withArrow
      openDelay={300}
      disabled={open}
      style={{ wordBreak: "break-word" }}
    >
      <UnstyledButton
        onClick={() => setOpen((value) => !value)}
        aria-expanded={open}
        title={open ? t("telegramAdmin.showLessError") : t("telegramAdmin.showFullError")}
        maw={320}
      >
        <Text
          size="xs"
          c="red"
          lineClamp={open ? undefined : 2}
          style={{ wordBreak: "break-word", whiteSpace: open ? "pre-wrap" : undefined }}
        >
          {account.last_error}
        </Text>
      </UnstyledButton>
    </Tooltip>
  );
}

function StateCell({ account }: { account: TelegramAccount }) {
  return (
    <Stack gap={4} align="flex-start">
      <StateBadge account={account} />
      <LastError account={account} />
    </Stack>
  );
}

/** `@username` linking to the bot in Telegram; a personal account's phone number. */
function Handle({ account }: { account: TelegramAccount }) {
  const { t } = useTranslation();
  if (account.account_type === "personal") {
    const user = account.telegram_user;
    return (
      <Stack gap={0}>
        <Text size="sm" style={{ whiteSpace: "nowrap" }}>
          {account.phone_number ?? t("common.none")}
        </Text>
        {user ? (
          <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
            {user.name}
            {user.username ? (
              <>
                {" "}
                <Anchor
                  href={`https://t.me/${user.username}`}
                  target="_blank"
                  rel="noopener noreferrer"
                  inherit
                  title={t("telegramAdmin.openInTelegram", { username: user.username })}
                >
                  @{user.username}
                </Anchor>
              </>
            ) : null}
          </Text>
        ) : null}
      </Stack>
    );
  }
  if (!account.bot_username) {
    return (
      <Text size="sm" c="dimmed">
        {t("telegramAdmin.usernameUnknown")}
      </Text>
    );
  }
  return (
    <Anchor
      href={`https://t.me/${account.bot_username}`}
      target="_blank"
      rel="noopener noreferrer"
      size="sm"
      title={t("telegramAdmin.openInTelegram", { username: account.bot_username })}
      style={{ whiteSpace: "nowrap" }}
    >
      @{account.bot_username}
    </Anchor>
  );
}

/** "Bot" with its mode badge, or "Personal account". */
function TypeAndMode({ account, size = "sm" }: { account: TelegramAccount; size?: "xs" | "sm" }) {
  const { t } = useTranslation();
  return (
    <Group gap={6} wrap="nowrap">
      <Text size={size} c={size === "xs" ? "dimmed" : undefined} style={{ whiteSpace: "nowrap" }}>
        {t(`telegramAdmin.types.${account.account_type}`)}
      </Text>
      {account.mode ? (
        <Badge color={MODE_COLORS[account.mode]} variant="outline" size={size} styles={NO_TRUNCATE}>
          {t(`telegramAdmin.modes.${account.mode}`)}
        </Badge>
      ) : null}
    </Group>
  );
}

function FromEnvBadge({ account }: { account: TelegramAccount }) {
  const { t } = useTranslation();
  if (!account.from_env) {
    return null;
  }
  return (
    <Tooltip label={t("telegramAdmin.fromEnvHint")} multiline w={280} withArrow>
      <Badge size="xs" variant="outline" color="gray" styles={NO_TRUNCATE} tt="none">
        {t("telegramAdmin.fromEnv")}
      </Badge>
    </Tooltip>
  );
}

function LastActivity({ iso }: { iso: string | null }) {
  const { t, i18n } = useTranslation();
  if (!iso) {
    return (
      <Text size="sm" c="dimmed">
        {t("telegramAdmin.never")}
      </Text>
    );
  }
  return (
    <Text size="sm" style={{ whiteSpace: "nowrap" }}>
      <time dateTime={iso} title={formatDateTime(iso, i18n.language)}>
        {formatRelative(iso, i18n.language)}
      </time>
    </Text>
  );
}

type ActionsProps = {
  account: TelegramAccount;
  busy: boolean;
  /** In a table row: icon buttons (their names in tooltips and labels), on one line. */
  compact?: boolean;
  onSwitch: (account: TelegramAccount, action: TelegramAction) => void;
  onEdit: (account: TelegramAccount) => void;
  onDelete: (account: TelegramAccount) => void;
  onLogin: (account: TelegramAccount) => void;
};

function AccountActions({
  account,
  busy,
  compact = false,
  onSwitch,
  onEdit,
  onDelete,
  onLogin,
}: ActionsProps) {
  const { t } = useTranslation();
  const action: TelegramAction = account.is_enabled ? "stop" : "start";
  // A personal account that Telegram ended is logged in again rather than retried.
  const canRetry = account.account_type === "bot" && account.is_enabled && account.state === "error";
  const canLogin = needsLogin(account);
  if (compact) {
    const label = t(action === "start" ? "telegramAdmin.startAccount" : "telegramAdmin.stopAccount", {
      name: account.name,
    });
    return (
      <Group gap={6} wrap="nowrap">
        {canLogin ? (
          <Tooltip label={t("telegramAdmin.login.open")} withArrow>
            <ActionIcon
              variant="filled"
              size="md"
              onClick={() => onLogin(account)}
              aria-label={t("telegramAdmin.login.openFor", { name: account.name })}
            >
              <IconLogin2 size={16} />
            </ActionIcon>
          </Tooltip>
        ) : null}
        <Tooltip label={t(`telegramAdmin.${action}`)} withArrow>
          <ActionIcon
            variant={action === "start" ? "light" : "default"}
            color={action === "start" ? "green" : undefined}
            size="md"
            loading={busy}
            onClick={() => onSwitch(account, action)}
            aria-label={label}
          >
            {action === "start" ? <IconPlayerPlay size={16} /> : <IconPlayerStop size={16} />}
          </ActionIcon>
        </Tooltip>
        {canRetry ? (
          <Tooltip label={t("telegramAdmin.retry")} withArrow>
            <ActionIcon
              variant="light"
              size="md"
              loading={busy}
              onClick={() => onSwitch(account, "start")}
              aria-label={t("telegramAdmin.retryAccount", { name: account.name })}
            >
              <IconRefresh size={16} />
            </ActionIcon>
          </Tooltip>
        ) : null}
        <Tooltip label={t("common.edit")} withArrow>
          <ActionIcon
            variant="default"
            size="md"
            onClick={() => onEdit(account)}
            aria-label={t("telegramAdmin.editAccount", { name: account.name })}
          >
            <IconPencil size={16} />
          </ActionIcon>
        </Tooltip>
        {account.from_env ? null : (
          <Tooltip label={t("common.delete")} withArrow>
            <ActionIcon
              variant="subtle"
              color="red"
              size="md"
              onClick={() => onDelete(account)}
              aria-label={t("telegramAdmin.deleteAccount", { name: account.name })}
            >
              <IconTrash size={16} />
            </ActionIcon>
          </Tooltip>
        )}
      </Group>
    );
  }
  const switchButton = (
    <Button
      size="xs"
      variant={action === "start" ? "light" : "default"}
      color={action === "start" ? "green" : undefined}
      leftSection={action === "start" ? <IconPlayerPlay size={14} /> : <IconPlayerStop size={14} />}
      loading={busy}
      onClick={() => onSwitch(account, action)}
      aria-label={t(action === "start" ? "telegramAdmin.startAccount" : "telegramAdmin.stopAccount", {
        name: account.name,
      })}
    >
      {t(`telegramAdmin.${action}`)}
    </Button>
  );
  return (
    <Group gap="xs" wrap="wrap">
      {canLogin ? (
        <Button
          size="xs"
          leftSection={<IconLogin2 size={14} />}
          onClick={() => onLogin(account)}
          aria-label={t("telegramAdmin.login.openFor", { name: account.name })}
        >
          {t("telegramAdmin.login.open")}
        </Button>
      ) : null}
      {canRetry ? (
        // Starting a failing bot retries it now instead of after its backoff.
        <Button
          size="xs"
          variant="light"
          leftSection={<IconRefresh size={14} />}
          loading={busy}
          onClick={() => onSwitch(account, "start")}
          aria-label={t("telegramAdmin.retryAccount", { name: account.name })}
        >
          {t("telegramAdmin.retry")}
        </Button>
      ) : null}
      {switchButton}
      <Button
        size="xs"
        variant="default"
        leftSection={<IconPencil size={14} />}
        onClick={() => onEdit(account)}
        aria-label={t("telegramAdmin.editAccount", { name: account.name })}
      >
        {t("common.edit")}
      </Button>
      {account.from_env ? null : (
        <Button
          size="xs"
          variant="subtle"
          color="red"
          leftSection={<IconTrash size={14} />}
          onClick={() => onDelete(account)}
          aria-label={t("telegramAdmin.deleteAccount", { name: account.name })}
        >
          {t("common.delete")}
        </Button>
      )}
    </Group>
  );
}

type ListProps = Omit<ActionsProps, "account" | "busy"> & {
  accounts: TelegramAccount[];
  loading: boolean;
  busyId: number | null;
  queueName: (id: number | null) => string | null;
};

function QueueName({ name, short = false }: { name: string | null; short?: boolean }) {
  const { t } = useTranslation();
  return name === null ? (
    <Text size="sm" c="dimmed" style={{ whiteSpace: "nowrap" }}>
      {short ? t("telegramAdmin.defaultQueueShort") : t("telegramAdmin.defaultQueue")}
    </Text>
  ) : (
    <Text size="sm">{name}</Text>
  );
}

/** Screens from `sm` up: one row per account. */
function AccountsTable({ accounts, loading, busyId, queueName, ...actions }: ListProps) {
  const { t } = useTranslation();
  return (
    <Table.ScrollContainer minWidth={820} visibleFrom="sm">
      <Table highlightOnHover verticalSpacing="sm" aria-label={t("telegramAdmin.tableLabel")}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("telegramAdmin.name")}</Table.Th>
            <Table.Th>{t("telegramAdmin.handle")}</Table.Th>
            <Table.Th>{t("telegramAdmin.state")}</Table.Th>
            <Table.Th>{t("telegramAdmin.queue")}</Table.Th>
            <Table.Th>{t("telegramAdmin.lastActivity")}</Table.Th>
            <Table.Th>{t("common.actions")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? <SkeletonRows columns={COLUMNS} /> : null}
          {accounts.map((account) => (
            <Table.Tr key={account.id}>
              <Table.Td miw={160}>
                <Stack gap={4} align="flex-start">
                  <Text size="sm" fw={500} style={{ overflowWrap: "break-word" }}>
                    {account.name}
                  </Text>
                  <FromEnvBadge account={account} />
                </Stack>
              </Table.Td>
              <Table.Td>
                <Stack gap={4} align="flex-start">
                  <Handle account={account} />
                  <TypeAndMode account={account} size="xs" />
                </Stack>
              </Table.Td>
              <Table.Td miw={150}>
                <StateCell account={account} />
              </Table.Td>
              <Table.Td>
                <QueueName name={queueName(account.queue_id)} short />
              </Table.Td>
              <Table.Td>
                <LastActivity iso={account.last_activity_at} />
              </Table.Td>
              <Table.Td>
                <AccountActions account={account} busy={busyId === account.id} compact {...actions} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Phones: a card per account, every field labelled, the buttons wrapping under it. */
function AccountCards({ accounts, loading, busyId, queueName, ...actions }: ListProps) {
  const { t } = useTranslation();
  const field = (label: string, value: ReactNode) => (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Text size="xs" c="dimmed" w={110} style={{ flexShrink: 0 }} pt={2}>
        {label}
      </Text>
      {value}
    </Group>
  );
  return (
    <Stack hiddenFrom="sm" gap="sm" role="list" aria-label={t("telegramAdmin.tableLabel")}>
      {loading ? <SkeletonCards /> : null}
      {accounts.map((account) => (
        <Paper key={account.id} withBorder radius="md" p="sm" role="listitem">
          <Stack gap={8}>
            <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
              <Stack gap={4} style={{ minWidth: 0 }}>
                <Text size="sm" fw={600} style={{ wordBreak: "break-word" }}>
                  {account.name}
                </Text>
                <Handle account={account} />
              </Stack>
              <StateBadge account={account} />
            </Group>
            <LastError account={account} />
            <FromEnvBadge account={account} />
            {field(t("telegramAdmin.type"), <TypeAndMode account={account} />)}
            {field(t("telegramAdmin.queue"), <QueueName name={queueName(account.queue_id)} />)}
            {field(t("telegramAdmin.lastActivity"), <LastActivity iso={account.last_activity_at} />)}
            <AccountActions account={account} busy={busyId === account.id} {...actions} />
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}

function SkeletonCards() {
  return [0, 1].map((index) => (
    <Paper key={index} withBorder radius="md" p="sm" aria-hidden>
      <Stack gap={8}>
        <Skeleton height={16} width="60%" />
        <Skeleton height={14} width="40%" />
        <Skeleton height={24} />
      </Stack>
    </Paper>
  ));
}

/** No account yet: how to get a bot token from @BotFather, and the buttons to add a bot or an account. */
function EmptyBots({ onAdd, onAddPersonal }: { onAdd: () => void; onAddPersonal: () => void }) {
  const { t } = useTranslation();
  return (
    <Stack align="center" gap="sm" py="xl">
      <IconBrandTelegram size={36} stroke={1.5} color="var(--mantine-color-dimmed)" aria-hidden />
      <Text fw={500} ta="center">
        {t("telegramAdmin.emptyTitle")}
      </Text>
      <List type="ordered" size="sm" maw={520} spacing={4} c="dimmed">
        <List.Item>
          {t("telegramAdmin.emptyStep1")}{" "}
          <Anchor href="https://t.me/BotFather" target="_blank" rel="noopener noreferrer" inherit>
            @BotFather
          </Anchor>
        </List.Item>
        <List.Item>{t("telegramAdmin.emptyStep2")}</List.Item>
        <List.Item>{t("telegramAdmin.emptyStep3")}</List.Item>
        <List.Item>{t("telegramAdmin.emptyStep4")}</List.Item>
      </List>
      <Group justify="center" gap="sm">
        <Button leftSection={<IconPlus size={16} />} onClick={onAdd}>
          {t("telegramAdmin.add")}
        </Button>
        <Button variant="default" leftSection={<IconUserPlus size={16} />} onClick={onAddPersonal}>
          {t("telegramAdmin.addPersonal")}
        </Button>
      </Group>
      <Text size="xs" c="dimmed" ta="center" maw={520}>
        {t("telegramAdmin.emptyPersonal")}
      </Text>
    </Stack>
  );
}

/**
 * The bot people link their Telegram to and get notifications from, as the server picks it among
 * enabled requester bots: TELEGRAM_BOT_TOKEN's, else the oldest.
 */
function pickLinkingBot(bots: TelegramAccount[]): TelegramAccount | undefined {
  return bots.find((b) => b.from_env) ?? [...bots].sort((a, b) => a.id - b.id)[0];
}

type FormProps = {
  account: TelegramAccount | null;
  /** The other enabled requester bots: linking and notifications go through only one of them. */
  requesterBots: TelegramAccount[];
  onDone: () => void;
};

function BotForm({ account, requesterBots, onDone }: FormProps) {
  const { t } = useTranslation();
  const notify = useNotify();
  const create = useCreateTelegramBot();
  const update = useUpdateTelegramAccount();
  const creating = account === null;
  const fromEnv = account?.from_env ?? false;
  const save = creating ? create : update;
  const [name, setName] = useState(account?.name ?? "");
  const [token, setToken] = useState("");
  const [mode, setMode] = useState<TelegramBotMode>(account?.mode ?? "inbox");
  const [queueId, setQueueId] = useState<string | null>(account?.queue_id ? String(account.queue_id) : null);
  const [touched, setTouched] = useState(false);
  // A new bot is the newest: it is the linking bot only when there is no other.
  const linkingBot = pickLinkingBot(
    account?.is_enabled && mode === "requester" ? [...requesterBots, account] : requesterBots,
  );

  const trimmedToken = token.trim();
  const tokenValid = trimmedToken === "" ? !creating : BOT_TOKEN_PATTERN.test(trimmedToken);
  const valid = name.trim() !== "" && (fromEnv || tokenValid);
  const serverInvalid = invalidFields(save.error);
  const refused = save.error !== null && telegramRefusalReason(save.error) !== null;
  const tokenError =
    (touched && trimmedToken !== "" && !tokenValid) || serverInvalid.has("bot_token")
      ? t("telegramAdmin.tokenInvalid")
      : refused
        ? t("telegramAdmin.tokenRefusedShort")
        : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!valid) {
      return;
    }
    const queue = queueId ? Number(queueId) : null;
    if (creating) {
      create.mutate(
        { name: name.trim(), account_type: "bot", bot_token: trimmedToken, mode, queue_id: queue },
        {
          onSuccess: (bot) => {
            notify.success(
              bot.bot_username
                ? t("telegramAdmin.created", { username: bot.bot_username })
                : t("telegramAdmin.createdNoUsername", { name: bot.name }),
            );
            onDone();
          },
        },
      );
      return;
    }
    // TELEGRAM_BOT_TOKEN's bot: the server refuses a token or mode, which the environment sets.
    const body: TelegramAccountPatch = fromEnv
      ? { name: name.trim(), queue_id: queue }
      : { name: name.trim(), queue_id: queue, mode, ...(trimmedToken ? { bot_token: trimmedToken } : {}) };
    update.mutate(
      { id: account.id, body },
      {
        onSuccess: (bot) => {
          notify.success(
            trimmedToken && bot.bot_username
              ? t("telegramAdmin.tokenReplaced", { username: bot.bot_username })
              : t("common.saved"),
          );
          onDone();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {fromEnv ? (
          <Alert color="blue" variant="light">
            {t("telegramAdmin.envNote")}
          </Alert>
        ) : null}
        {save.isError ? (
          <TelegramErrorAlert error={save.error} title={t("telegramAdmin.saveFailed")} />
        ) : null}
        <TextInput
          label={t("telegramAdmin.name")}
          description={t("telegramAdmin.nameHint")}
          required
          data-autofocus
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={touched && name.trim() === "" ? t("telegramAdmin.nameRequired") : null}
        />
        {fromEnv ? null : (
          <PasswordInput
            label={creating ? t("telegramAdmin.token") : t("telegramAdmin.replaceToken")}
            description={creating ? t("telegramAdmin.tokenHint") : t("telegramAdmin.replaceTokenHint")}
            placeholder="123456789:AA…"
            required={creating}
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => {
              setToken(e.currentTarget.value);
              // The server's word on the previous token no longer applies to the new one.
              if (refused || serverInvalid.has("bot_token")) {
                save.reset();
              }
            }}
            onBlur={() => setTouched(true)}
            error={tokenError}
          />
        )}
        <Radio.Group
          label={t("telegramAdmin.mode")}
          description={fromEnv ? t("telegramAdmin.modeFromEnv") : undefined}
          value={mode}
          onChange={(value) => setMode(value as TelegramBotMode)}
        >
          <Stack gap="xs" mt={6}>
            {BOT_MODES.map((m) => (
              <Radio
                key={m}
                value={m}
                disabled={fromEnv}
                label={t(`telegramAdmin.modes.${m}`)}
                description={t(`telegramAdmin.modeHints.${m}`)}
              />
            ))}
          </Stack>
        </Radio.Group>
        {!fromEnv && mode === "requester" && linkingBot && linkingBot.id !== account?.id ? (
          <Text size="xs" c="dimmed">
            {t("telegramAdmin.requesterShared", { name: linkingBot.name })}
          </Text>
        ) : null}
        <QueueSelect value={queueId} onChange={setQueueId} description={t("telegramAdmin.queueHint")} />
        {!fromEnv && (creating || trimmedToken) ? (
          <Text size="xs" c="dimmed">
            {t("telegramAdmin.checkHint")}
          </Text>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t("common.cancel")}
          </Button>
          <Button type="submit" loading={save.isPending} disabled={touched && !valid}>
            {creating ? t("telegramAdmin.addSubmit") : t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The form open: a bot's or a personal account's, for a new account (null) or an existing one. */
type OpenForm = { kind: "bot" | "personal"; account: TelegramAccount | null };

/**
 * Telegram bots and personal accounts: their state as the runtime reports it, adding a bot by
 * its token or a personal account by its phone number (then logging it in with the code
 * Telegram sends), editing, starting, stopping and deleting. Read again every 10 s.
 */
export function TelegramPanel() {
  const { t } = useTranslation();
  const notify = useNotify();
  const accounts = useTelegramAccounts();
  const queues = useCatalog("queues");
  const switchOne = useSwitchTelegramAccount();
  const remove = useDeleteTelegramAccount();
  const [form, setForm] = useState<OpenForm | null>(null);
  const [deleting, setDeleting] = useState<TelegramAccount | null>(null);
  const [loggingIn, setLoggingIn] = useState<TelegramAccount | null>(null);
  const rows = accounts.data ?? [];

  const queueName = (id: number | null) =>
    id === null ? null : (queues.data?.find((q) => q.id === id)?.name ?? `#${id}`);

  const switchAccount = (account: TelegramAccount, action: TelegramAction) =>
    switchOne.mutate(
      { id: account.id, action },
      {
        onSuccess: () =>
          notifications.show({
            color: "green",
            message: t(action === "start" ? "telegramAdmin.started" : "telegramAdmin.stopped", {
              name: account.name,
            }),
          }),
        onError: (error) =>
          notifications.show({
            color: "red",
            title: t("telegramAdmin.switchFailed"),
            message: describeTelegramAdminError(error, t),
            autoClose: 8000,
          }),
      },
    );

  const confirmDelete = () => {
    if (!deleting) {
      return;
    }
    remove.mutate(deleting.id, {
      onSuccess: () => {
        notify.success(t("telegramAdmin.deleted", { name: deleting.name }));
        setDeleting(null);
      },
    });
  };

  const openAdd = () => setForm({ kind: "bot", account: null });
  const openAddPersonal = () => setForm({ kind: "personal", account: null });
  const closeForm = () => setForm(null);
  const editingId = form?.account?.id;
  const requesterBots = rows.filter(
    (a) => a.account_type === "bot" && a.mode === "requester" && a.is_enabled && a.id !== editingId,
  );
  const listProps: ListProps = {
    accounts: rows,
    loading: accounts.isPending,
    busyId: switchOne.isPending ? (switchOne.variables?.id ?? null) : null,
    queueName,
    onSwitch: switchAccount,
    onEdit: (account) => setForm({ kind: account.account_type, account }),
    onDelete: (account) => {
      remove.reset();
      setDeleting(account);
    },
    onLogin: setLoggingIn,
  };
  const formTitle = !form
    ? ""
    : form.account
      ? t("telegramAdmin.editTitle", { name: form.account.name })
      : form.kind === "bot"
        ? t("telegramAdmin.addTitle")
        : t("telegramAdmin.personal.addTitle");
  const deletingPersonal = deleting?.account_type === "personal";

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Text size="sm" c="dimmed" maw={720}>
          {t("telegramAdmin.intro")}
        </Text>
        <Group gap="sm" wrap="wrap">
          <Button leftSection={<IconPlus size={16} />} onClick={openAdd}>
            {t("telegramAdmin.add")}
          </Button>
          <Button variant="default" leftSection={<IconUserPlus size={16} />} onClick={openAddPersonal}>
            {t("telegramAdmin.addPersonal")}
          </Button>
        </Group>
      </Group>
      {accounts.isError ? (
        <Alert color="red" title={t("errors.loadFailed")} role="alert">
          {describeTelegramAdminError(accounts.error, t)}
          <Button
            size="xs"
            variant="light"
            color="red"
            mt="sm"
            display="block"
            onClick={() => void accounts.refetch()}
          >
            {t("common.retry")}
          </Button>
        </Alert>
      ) : null}
      {accounts.isSuccess && rows.length === 0 ? (
        <EmptyBots onAdd={openAdd} onAddPersonal={openAddPersonal} />
      ) : (
        <>
          <AccountsTable {...listProps} />
          <AccountCards {...listProps} />
        </>
      )}
      <Modal
        opened={form !== null}
        onClose={closeForm}
        title={formTitle}
        size={form?.kind === "personal" ? "lg" : "md"}
      >
        {form?.kind === "bot" ? (
          <BotForm account={form.account} requesterBots={requesterBots} onDone={closeForm} />
        ) : null}
        {form?.kind === "personal" ? (
          <PersonalForm
            account={form.account}
            onDone={(created) => {
              closeForm();
              // A new account is not logged in: its log-in comes next.
              if (created) {
                setLoggingIn(created);
              }
            }}
          />
        ) : null}
      </Modal>
      <Modal
        opened={loggingIn !== null}
        onClose={() => setLoggingIn(null)}
        title={loggingIn ? t("telegramAdmin.login.title", { name: loggingIn.name }) : ""}
        size="lg"
        // A tap beside the dialog must not lose a code being typed (the log-in itself goes on).
        closeOnClickOutside={false}
      >
        {loggingIn ? <TelegramLoginSteps account={loggingIn} onClose={() => setLoggingIn(null)} /> : null}
      </Modal>
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deletingPersonal ? t("telegramAdmin.personal.deleteTitle") : t("telegramAdmin.deleteTitle")}
      >
        <Stack>
          <Text size="sm">
            {t(deletingPersonal ? "telegramAdmin.personal.deleteConfirm" : "telegramAdmin.deleteConfirm", {
              name: deleting?.name ?? "",
            })}
          </Text>
          {remove.isError ? (
            <TelegramErrorAlert error={remove.error} title={t("telegramAdmin.deleteFailed")} />
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
