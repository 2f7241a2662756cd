import type { TTelegramLink } from "@helpdesk/contracts";
import { Alert, Anchor, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCreateTelegramLink, useTelegramLinkState, useUnlinkTelegram } from "../api";

/**
 * "Connect Telegram" on the profile: a one-time deep link to the product's bot (15 minutes);
 * once the bot has taken it the card shows the linked Telegram, and notifications can go there.
 */
export function TelegramLinkCard() {
  const { t, i18n } = useTranslation();
  const notify = useNotify();
  const [link, setLink] = useState<TTelegramLink | null>(null);
  const waiting = link !== null && new Date(link.expires_at).getTime() > Date.now();
  const state = useTelegramLinkState(waiting);
  const create = useCreateTelegramLink();
  const unlink = useUnlinkTelegram();
  const linked = state.data?.linked ?? null;
  const until = link
    ? new Date(link.expires_at).toLocaleTimeString(i18n.language, { hour: "2-digit", minute: "2-digit" })
    : "";

  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h4">
          {t("telegram.title")}
        </Title>
        {state.isPending ? null : linked ? (
          <>
            <Text size="sm">
              {t("telegram.linkedAs", { name: linked.name ?? linked.telegram_id, id: linked.telegram_id })}
            </Text>
            <Text size="xs" c="dimmed">
              {t("telegram.linkedHint")}
            </Text>
            <Button
              variant="default"
              w="fit-content"
              loading={unlink.isPending}
              onClick={() =>
                unlink.mutate(undefined, {
                  onSuccess: () => {
                    setLink(null);
                    notify.success(t("telegram.unlinked"));
                  },
                  onError: notify.error,
                })
              }
            >
              {t("telegram.unlink")}
            </Button>
          </>
        ) : !state.data?.available ? (
          <Text size="sm" c="dimmed">
            {t("telegram.unavailable")}
          </Text>
        ) : (
          <>
            <Text size="sm">{t("telegram.connectHint", { bot: `@${state.data.bot_username}` })}</Text>
            {link && waiting ? (
              <Alert variant="light" color="blue">
                <Stack gap="xs">
                  <Group gap="sm">
                    <Button component="a" href={link.url} target="_blank" rel="noopener noreferrer">
                      {t("telegram.open")}
                    </Button>
                    <Text size="xs" c="dimmed">
                      {t("telegram.validUntil", { time: until })}
                    </Text>
                  </Group>
                  <Anchor
                    href={link.url}
                    target="_blank"
                    rel="noopener noreferrer"
                    size="xs"
                    style={{ wordBreak: "break-all" }}
                  >
                    {link.url}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {t("telegram.waiting")}
                  </Text>
                </Stack>
              </Alert>
            ) : (
              <Button
                w="fit-content"
                loading={create.isPending}
                onClick={() => create.mutate(undefined, { onSuccess: setLink, onError: notify.error })}
              >
                {t("telegram.connect")}
              </Button>
            )}
          </>
        )}
      </Stack>
    </Paper>
  );
}
