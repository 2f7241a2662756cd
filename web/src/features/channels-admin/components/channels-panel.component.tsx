import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Select,
  Stack,
  Table,
  Text,
  Tooltip,
  UnstyledButton,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconPlayerPlay, IconPlayerStop, IconRefresh } from "@tabler/icons-react";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { NO_TRUNCATE } from "../../../shared/components/badges.component";
import { formatDateTime, formatRelative } from "../../../shared/format";
import { EmptyState, SkeletonRows } from "../../email-admin/components/common.component";
import {
  type ChannelAccount,
  type ChannelAction,
  type ChannelDriver,
  useChannelAccounts,
  useSwitchAccount,
  useSwitchAccounts,
} from "../api";
import { describeChannelError } from "../errors";

const STATE_COLORS: Record<ChannelAccount["state"], string> = {
  running: "green",
  backoff: "orange",
  error: "red",
  stopped: "gray",
};

/** Columns of the table on a wide screen (for placeholder rows). */
const COLUMNS = 7;

/**
 * Whether the runtime has yet to follow the switch: an enabled account its driver reads that is
 * not running yet, or a disabled one a worker still holds. It follows within a scan tick.
 */
function transition(
  account: ChannelAccount,
  driver: ChannelDriver | undefined,
): "starting" | "stopping" | null {
  if (account.is_enabled) {
    return driver?.can_receive && account.state === "stopped" ? "starting" : null;
  }
  return account.state !== "stopped" && account.lease_owner !== null ? "stopping" : null;
}

function StateBadge({ account, driver }: { account: ChannelAccount; driver: ChannelDriver | undefined }) {
  const { t } = useTranslation();
  const pending = transition(account, driver);
  return (
    <Stack gap={2} align="flex-start">
      <Badge color={STATE_COLORS[account.state]} variant="light" styles={NO_TRUNCATE}>
        {t(`channelsAdmin.states.${account.state}`)}
      </Badge>
      {pending ? (
        <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
          {t(`channelsAdmin.${pending}`)}
        </Text>
      ) : null}
    </Stack>
  );
}

/** The last error, two lines of it; the whole text on hover, or on a tap (phones have no hover). */
function LastError({ account }: { account: ChannelAccount }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  if (!account.last_error) {
    return (
      <Text size="sm" c="dimmed">
        {t("common.none")}
      </Text>
    );
  }
  return (
    <Stack gap={2} maw={360}>
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
          title={open ? t("channelsAdmin.showLessError") : t("channelsAdmin.showFullError")}
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
      <Text size="xs" c="dimmed">
        {t("channelsAdmin.lastErrorAt", { time: formatDateTime(account.last_error_at, i18n.language) })}
        {account.failures > 0 ? ` · ${t("channelsAdmin.failures", { count: account.failures })}` : null}
      </Text>
    </Stack>
  );
}

function LastActivity({ iso }: { iso: string | null }) {
  const { t, i18n } = useTranslation();
  if (!iso) {
    return (
      <Text size="sm" c="dimmed">
        {t("channelsAdmin.never")}
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

function KindLabel({ kind, driver }: { kind: string; driver: ChannelDriver | undefined }) {
  const { t } = useTranslation();
  const label = t(`channelsAdmin.kinds.${kind}`, { defaultValue: kind });
  if (driver) {
    return <>{label}</>;
  }
  return (
    <Tooltip label={t("channelsAdmin.noDriver")} multiline w={280} withArrow>
      <Text span inherit c="dimmed" td="line-through">
        {label}
      </Text>
    </Tooltip>
  );
}

type RowProps = {
  account: ChannelAccount;
  driver: ChannelDriver | undefined;
  selected: boolean;
  busy: boolean;
  onToggle: (id: number) => void;
  onSwitch: (account: ChannelAccount, action: ChannelAction) => void;
};

function AccountRow({ account, driver, selected, busy, onToggle, onSwitch }: RowProps) {
  const { t } = useTranslation();
  const action: ChannelAction = account.is_enabled ? "stop" : "start";
  return (
    <Table.Tr bg={selected ? "var(--mantine-primary-color-light)" : undefined}>
      <Table.Td>
        <Checkbox
          aria-label={t("channelsAdmin.selectAccount", { name: account.name })}
          checked={selected}
          onChange={() => onToggle(account.id)}
        />
      </Table.Td>
      <Table.Td>
        <Text size="sm" fw={500} style={{ wordBreak: "break-word" }}>
          {account.name}
        </Text>
        {/* On narrow screens the hidden columns' content goes under the name. */}
        <Text size="xs" c="dimmed" hiddenFrom="sm">
          <KindLabel kind={account.kind} driver={driver} />
        </Text>
        <Group hiddenFrom="xs" mt={4}>
          <StateBadge account={account} driver={driver} />
        </Group>
        {account.last_error ? (
          <Stack hiddenFrom="md" mt={4}>
            <LastError account={account} />
          </Stack>
        ) : null}
      </Table.Td>
      <Table.Td visibleFrom="sm">
        <Text size="sm">
          <KindLabel kind={account.kind} driver={driver} />
        </Text>
      </Table.Td>
      <Table.Td visibleFrom="xs">
        <StateBadge account={account} driver={driver} />
      </Table.Td>
      <Table.Td visibleFrom="md">
        <LastError account={account} />
      </Table.Td>
      <Table.Td visibleFrom="sm">
        <LastActivity iso={account.last_activity_at} />
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {account.is_enabled && (account.state === "backoff" || account.state === "error") ? (
            // Starting a crashed account retries it now instead of after its backoff.
            <Button
              size="xs"
              variant="light"
              leftSection={<IconRefresh size={14} />}
              loading={busy}
              onClick={() => onSwitch(account, "start")}
              aria-label={t("channelsAdmin.retryAccount", { name: account.name })}
            >
              {t("channelsAdmin.retry")}
            </Button>
          ) : null}
          <Button
            size="xs"
            variant={action === "start" ? "light" : "default"}
            color={action === "start" ? "green" : undefined}
            leftSection={action === "start" ? <IconPlayerPlay size={14} /> : <IconPlayerStop size={14} />}
            loading={busy}
            onClick={() => onSwitch(account, action)}
            aria-label={t(action === "start" ? "channelsAdmin.startAccount" : "channelsAdmin.stopAccount", {
              name: account.name,
            })}
          >
            {t(`channelsAdmin.${action}`)}
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * Every account of every channel: what its receiver is doing, its last error and activity, and
 * starting or stopping it, one or many at a time. Read again every 5 seconds while open.
 */
export function ChannelsPanel() {
  const { t } = useTranslation();
  const accounts = useChannelAccounts();
  const switchOne = useSwitchAccount();
  const switchMany = useSwitchAccounts();
  const [kind, setKind] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<number>>(() => new Set());

  const all = accounts.data?.results ?? [];
  const drivers = useMemo(
    () => new Map((accounts.data?.drivers ?? []).map((d) => [d.name, d])),
    [accounts.data?.drivers],
  );
  const kinds = useMemo(
    () => [...new Set([...drivers.keys(), ...all.map((a) => a.kind)])].sort(),
    [drivers, all],
  );
  const rows = kind ? all.filter((a) => a.kind === kind) : all;
  // Only what is shown counts: a removed account or another channel's drops out of the selection.
  const chosen = rows.filter((a) => selected.has(a.id)).map((a) => a.id);
  const allChosen = rows.length > 0 && chosen.length === rows.length;

  const toggle = (id: number) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(id)) {
        next.add(id);
      }
      return next;
    });
  const toggleAll = () => setSelected(allChosen ? new Set() : new Set(rows.map((a) => a.id)));

  const showError = (error: unknown) =>
    notifications.show({
      color: "red",
      title: t("channelsAdmin.switchFailed"),
      message: describeChannelError(error, t),
      autoClose: 8000,
    });

  const switchAccount = (account: ChannelAccount, action: ChannelAction) =>
    switchOne.mutate(
      { id: account.id, action },
      {
        onSuccess: () =>
          notifications.show({
            color: "green",
            message: t(action === "start" ? "channelsAdmin.started" : "channelsAdmin.stopped", {
              name: account.name,
            }),
          }),
        onError: showError,
      },
    );

  const switchChosen = (action: ChannelAction) =>
    switchMany.mutate(
      { ids: chosen, action },
      {
        onSuccess: (result) => {
          notifications.show({
            color: "green",
            message: t(action === "start" ? "channelsAdmin.startedMany" : "channelsAdmin.stoppedMany", {
              count: result.updated,
            }),
          });
          if (result.missing.length > 0) {
            notifications.show({
              color: "yellow",
              message: t("channelsAdmin.missing", { count: result.missing.length }),
            });
          }
          setSelected(new Set());
        },
        onError: showError,
      },
    );

  const bulkAction = switchMany.isPending ? switchMany.variables?.action : undefined;

  return (
    <Stack>
      <Text size="sm" c="dimmed" maw={720}>
        {t("channelsAdmin.intro")}
      </Text>
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="sm">
        <Select
          label={t("channelsAdmin.kind")}
          placeholder={t("channelsAdmin.anyKind")}
          data={kinds.map((k) => ({ value: k, label: t(`channelsAdmin.kinds.${k}`, { defaultValue: k }) }))}
          value={kind}
          onChange={setKind}
          clearable
          w={220}
          maw="100%"
        />
        <Group gap="xs" wrap="wrap" role="group" aria-label={t("channelsAdmin.bulkActions")}>
          {chosen.length > 0 ? (
            <Text size="sm" c="dimmed" aria-live="polite">
              {t("channelsAdmin.selected", { count: chosen.length })}
            </Text>
          ) : null}
          <Button
            size="sm"
            variant="light"
            color="green"
            leftSection={<IconPlayerPlay size={16} />}
            disabled={chosen.length === 0 || (switchMany.isPending && bulkAction !== "start")}
            loading={bulkAction === "start"}
            onClick={() => switchChosen("start")}
          >
            {t("channelsAdmin.startSelected")}
          </Button>
          <Button
            size="sm"
            variant="default"
            leftSection={<IconPlayerStop size={16} />}
            disabled={chosen.length === 0 || (switchMany.isPending && bulkAction !== "stop")}
            loading={bulkAction === "stop"}
            onClick={() => switchChosen("stop")}
          >
            {t("channelsAdmin.stopSelected")}
          </Button>
        </Group>
      </Group>
      {accounts.isError ? (
        <Alert color="red" title={t("errors.loadFailed")} role="alert">
          {describeChannelError(accounts.error, t)}
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
        <EmptyState
          title={kind ? t("channelsAdmin.emptyFiltered") : t("channelsAdmin.emptyTitle")}
          hint={kind ? t("channelsAdmin.emptyFilteredHint") : t("channelsAdmin.emptyHint")}
        />
      ) : (
        <Table.ScrollContainer minWidth={320}>
          <Table highlightOnHover verticalSpacing="sm" aria-label={t("channelsAdmin.tab")}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={40}>
                  <Checkbox
                    aria-label={t("channelsAdmin.selectAll")}
                    checked={allChosen}
                    indeterminate={chosen.length > 0 && !allChosen}
                    disabled={rows.length === 0}
                    onChange={toggleAll}
                  />
                </Table.Th>
                <Table.Th>{t("channelsAdmin.name")}</Table.Th>
                <Table.Th visibleFrom="sm">{t("channelsAdmin.kind")}</Table.Th>
                <Table.Th visibleFrom="xs">{t("channelsAdmin.state")}</Table.Th>
                <Table.Th visibleFrom="md">{t("channelsAdmin.lastError")}</Table.Th>
                <Table.Th visibleFrom="sm">{t("channelsAdmin.lastActivity")}</Table.Th>
                <Table.Th>
                  <Text span inherit visibleFrom="xs">
                    {t("common.actions")}
                  </Text>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {accounts.isPending ? <SkeletonRows columns={COLUMNS} /> : null}
              {rows.map((account) => (
                <AccountRow
                  key={account.id}
                  account={account}
                  driver={drivers.get(account.kind)}
                  selected={selected.has(account.id)}
                  busy={switchOne.isPending && switchOne.variables?.id === account.id}
                  onToggle={toggle}
                  onSwitch={switchAccount}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
