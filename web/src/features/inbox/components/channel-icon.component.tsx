import { Tooltip } from "@mantine/core";
import { IconBrandTelegram, IconMessageCircle, IconUserCircle, IconWorld } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

const KNOWN = ["telegram", "telegram_user", "widget"] as const;

/** The channel a chat came through: Telegram bot, personal Telegram account, web widget, other. */
export function ChannelIcon({ channel, size = 16 }: { channel: string; size?: number }) {
  const { t } = useTranslation();
  const known = (KNOWN as readonly string[]).includes(channel);
  const label = known ? t(`inbox.channels.${channel}`) : t("inbox.channels.other", { channel });
  const icon =
    channel === "telegram" ? (
      <IconBrandTelegram size={size} color="var(--mantine-color-blue-filled)" />
    ) : channel === "telegram_user" ? (
      <IconUserCircle size={size} color="var(--mantine-color-cyan-filled)" />
    ) : channel === "widget" ? (
      <IconWorld size={size} color="var(--mantine-color-teal-filled)" />
    ) : (
      <IconMessageCircle size={size} color="var(--mantine-color-dimmed)" />
    );
  return (
    <Tooltip label={label} withinPortal>
      <span role="img" aria-label={label} style={{ display: "inline-flex", flexShrink: 0 }}>
        {icon}
      </span>
    </Tooltip>
  );
}
