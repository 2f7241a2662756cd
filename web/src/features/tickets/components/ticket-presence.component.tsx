import { Avatar, Group, Text, Tooltip } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { RealtimeViewer } from "../../../shared/realtime/realtime-client";
import type { TicketTyper } from "../../../shared/realtime/use-realtime";

/** "Also viewing" avatars of the other people who have this ticket open. */
export function AlsoViewing({ viewers }: { viewers: RealtimeViewer[] }) {
  const { t } = useTranslation();
  if (viewers.length === 0) return null;
  const shown = viewers.slice(0, 4);
  const names = viewers.map((v) => v.name).join(", ");
  return (
    <Group gap={6} wrap="nowrap" role="group" aria-label={t("presence.alsoViewing", { names })}>
      <Text size="xs" c="dimmed" aria-hidden>
        {t("presence.alsoViewingLabel")}
      </Text>
      <Tooltip.Group openDelay={200}>
        <Avatar.Group spacing="xs">
          {shown.map((viewer) => (
            <Tooltip key={viewer.id} label={viewer.name} withArrow>
              <Avatar size="sm" radius="xl" color="initials" name={viewer.name} aria-hidden />
            </Tooltip>
          ))}
          {viewers.length > shown.length ? (
            <Avatar size="sm" radius="xl" aria-hidden>
              +{viewers.length - shown.length}
            </Avatar>
          ) : null}
        </Avatar.Group>
      </Tooltip.Group>
    </Group>
  );
}

/** "Anna is typing…" under the conversation (internal-note typing reaches staff only). */
export function TypingLine({ typers }: { typers: TicketTyper[] }) {
  const { t } = useTranslation();
  const publicTypers = typers.filter((x) => !x.isInternal).map((x) => x.name);
  const noteTypers = typers.filter((x) => x.isInternal).map((x) => x.name);
  const parts: string[] = [];
  if (publicTypers.length > 0)
    parts.push(t("presence.typing", { names: publicTypers.join(", "), count: publicTypers.length }));
  if (noteTypers.length > 0)
    parts.push(t("presence.typingNote", { names: noteTypers.join(", "), count: noteTypers.length }));
  return (
    <Text size="xs" c="dimmed" fs="italic" aria-live="polite" mih={18}>
      {parts.join(" · ")}
    </Text>
  );
}
