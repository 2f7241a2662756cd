import {
  Alert,
  Button,
  Group,
  Paper,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  Title,
  Tooltip,
} from "@mantine/core";
import { notifications as toasts } from "@mantine/notifications";
import { IconBellRinging, IconBrowser } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { isStaff } from "../../../app/nav";
import { ApiError } from "../../../shared/api/client";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCurrentUser } from "../../auth/api";
import { useTelegramLinkState } from "../../telegram/api";
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type NotificationPreferences,
  type TNotificationChannel,
  type TNotificationKind,
  usePreferences,
  useSavePreferences,
} from "../api";
import {
  currentPushSubscription,
  disablePush,
  enablePush,
  requestSystemPermission,
  supportsPush,
  systemPermission,
  type TPermission,
} from "../browser";

function BrowserDelivery() {
  const { t } = useTranslation();
  const notify = useNotify();
  const [permission, setPermission] = useState<TPermission>(() => systemPermission());
  const [push, setPush] = useState<"unknown" | "on" | "off" | "unsupported">(() =>
    supportsPush() ? "unknown" : "unsupported",
  );
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!supportsPush()) return;
    let alive = true;
    void currentPushSubscription()
      .then((s) => alive && setPush(s ? "on" : "off"))
      .catch(() => alive && setPush("off"));
    return () => {
      alive = false;
    };
  }, []);

  const askSystem = async () => {
    setPermission(await requestSystemPermission());
  };
  const togglePush = async () => {
    setBusy(true);
    try {
      if (push === "on") {
        await disablePush();
        setPush("off");
        notify.success(t("notifications.pushOff"));
      } else {
        await enablePush();
        setPush("on");
        setPermission(systemPermission());
        notify.success(t("notifications.pushOn"));
      }
    } catch (error) {
      setPermission(systemPermission());
      const code = error instanceof Error ? error.message : "";
      const fail = (message: string) => toasts.show({ color: "red", message, autoClose: 8000 });
      if (error instanceof ApiError) notify.error(error);
      else if (code === "push.denied") fail(t("notifications.permissionDenied"));
      else if (code === "push.unsupported") fail(t("notifications.pushUnsupported"));
      else fail(t("notifications.pushFailed"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        {t("notifications.thisBrowser")}
      </Title>
      <Group gap="sm" align="center">
        <Button
          variant="light"
          leftSection={<IconBellRinging size={16} />}
          onClick={() => void askSystem()}
          disabled={permission !== "default"}
        >
          {t("notifications.enableSystem")}
        </Button>
        <Text size="sm" c="dimmed" aria-live="polite">
          {t(`notifications.permission.${permission}`)}
        </Text>
      </Group>
      <Group gap="sm" align="center">
        <Button
          variant={push === "on" ? "default" : "light"}
          leftSection={<IconBrowser size={16} />}
          onClick={() => void togglePush()}
          loading={busy}
          disabled={push === "unsupported" || push === "unknown" || permission === "denied"}
        >
          {push === "on" ? t("notifications.disablePush") : t("notifications.enablePush")}
        </Button>
        <Text size="sm" c="dimmed" aria-live="polite">
          {t(`notifications.push.${push}`)}
        </Text>
      </Group>
    </Stack>
  );
}

/** Profile section: event kinds × channels, the sound, and this browser's system/push delivery. */
export function NotificationSettings() {
  const { t } = useTranslation();
  const notify = useNotify();
  const user = useCurrentUser();
  const preferences = usePreferences();
  const save = useSavePreferences();
  const telegramLinked = Boolean(useTelegramLinkState(false).data?.linked);
  const kinds = NOTIFICATION_KINDS.filter((kind) => kind !== "new_note" || isStaff(user.role));

  const change = (next: NotificationPreferences) => {
    save.mutate(next, { onError: notify.error });
  };
  const setSwitch = (kind: TNotificationKind, channel: TNotificationChannel, on: boolean) => {
    const current = preferences.data;
    if (!current) return;
    change({
      ...current,
      events: { ...current.events, [kind]: { ...current.events[kind], [channel]: on } },
    });
  };

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="notification-settings-title">
      <Stack>
        <Title order={2} size="h4" id="notification-settings-title">
          {t("notifications.settingsTitle")}
        </Title>
        {preferences.isPending ? (
          <Skeleton height={200} />
        ) : preferences.isError ? (
          <ErrorAlert error={preferences.error} onRetry={() => void preferences.refetch()} />
        ) : (
          <>
            <Table.ScrollContainer minWidth={520}>
              <Table verticalSpacing="xs" aria-label={t("notifications.settingsTitle")}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t("notifications.event")}</Table.Th>
                    {NOTIFICATION_CHANNELS.map((channel) => (
                      <Table.Th key={channel} ta="center" fz="xs">
                        {t(`notifications.channel.${channel}`)}
                      </Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {kinds.map((kind) => (
                    <Table.Tr key={kind}>
                      <Table.Td fz="sm">{t(`notifications.kind.${kind}`)}</Table.Td>
                      {NOTIFICATION_CHANNELS.map((channel) => {
                        // Telegram needs a linked chat (the card above).
                        const unavailable = channel === "telegram" && !telegramLinked;
                        const control = (
                          <Switch
                            size="sm"
                            checked={preferences.data.events[kind][channel]}
                            disabled={unavailable}
                            aria-label={`${t(`notifications.kind.${kind}`)}: ${t(`notifications.channel.${channel}`)}`}
                            onChange={(event) => setSwitch(kind, channel, event.currentTarget.checked)}
                            styles={{ body: { justifyContent: "center" } }}
                          />
                        );
                        return (
                          <Table.Td key={channel} ta="center">
                            {unavailable ? (
                              <Tooltip label={t("notifications.telegramLater")} withArrow>
                                <span style={{ display: "inline-block" }}>{control}</span>
                              </Tooltip>
                            ) : (
                              control
                            )}
                          </Table.Td>
                        );
                      })}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {telegramLinked ? null : (
              <Text size="xs" c="dimmed">
                {t("notifications.telegramLater")}
              </Text>
            )}
            <Switch
              label={t("notifications.sound")}
              description={t("notifications.soundHint")}
              checked={preferences.data.sound}
              onChange={(event) => change({ ...preferences.data, sound: event.currentTarget.checked })}
            />
          </>
        )}
        <BrowserDelivery />
        {systemPermission() === "denied" ? (
          <Alert color="yellow" variant="light">
            {t("notifications.deniedHint")}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}
