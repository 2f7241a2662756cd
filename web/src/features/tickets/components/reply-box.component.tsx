import { LIMITS } from "@helpdesk/contracts";
import { Button, Group, Paper, Stack, Tabs, Textarea } from "@mantine/core";
import { IconLock, IconMessage } from "@tabler/icons-react";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AttachmentPicker, filesFromPaste } from "../../attachments/components/attachment-picker.component";
import { useUploads } from "../../attachments/use-uploads";
import { usePostMessage } from "../api";

/** Reply to the requester or, for staff, an internal note; `onTyping` tells others (throttled by the caller). */
export function ReplyBox({
  ticketId,
  staff,
  onTyping,
}: {
  ticketId: number;
  staff: boolean;
  onTyping?: (isInternal: boolean) => void;
}) {
  const { t } = useTranslation();
  const notify = useNotify();
  const post = usePostMessage();
  const uploads = useUploads();
  const [mode, setMode] = useState<"reply" | "note">("reply");
  const [text, setText] = useState("");
  const internal = staff && mode === "note";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim() || uploads.busy) {
      return;
    }
    post.mutate(
      { ticketId, text: text.trim(), attachmentIds: uploads.ids, internal },
      {
        onSuccess: () => {
          setText("");
          uploads.reset();
        },
        onError: notify.error,
      },
    );
  };

  const form = (
    <form onSubmit={submit}>
      <Stack gap="xs" pt={staff ? "sm" : 0}>
        <Textarea
          aria-label={internal ? t("tickets.internalNote") : t("tickets.reply")}
          placeholder={
            internal
              ? t("tickets.notePlaceholder")
              : staff
                ? t("tickets.replyPlaceholder")
                : t("tickets.messagePlaceholder")
          }
          autosize
          minRows={3}
          maxRows={12}
          maxLength={LIMITS.messageMax}
          value={text}
          onChange={(event) => {
            const value = event.currentTarget.value;
            setText(value);
            if (value.trim()) onTyping?.(internal);
          }}
          onPaste={(event) => {
            const files = filesFromPaste(event);
            if (files.length > 0) {
              event.preventDefault();
              uploads.add(files);
            }
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
              submit(event);
            }
          }}
          styles={internal ? { input: { background: "var(--mantine-color-yellow-light)" } } : undefined}
        />
        <AttachmentPicker items={uploads.items} onFiles={uploads.add} onRemove={uploads.remove} compact />
        <Group justify="flex-end">
          <Button
            type="submit"
            color={internal ? "yellow" : undefined}
            loading={post.isPending}
            disabled={!text.trim() || uploads.busy}
          >
            {internal ? t("tickets.addNote") : t("tickets.send")}
          </Button>
        </Group>
      </Stack>
    </form>
  );

  return (
    <Paper withBorder p="sm">
      {staff ? (
        <Tabs value={mode} onChange={(value) => setMode(value === "note" ? "note" : "reply")}>
          <Tabs.List>
            <Tabs.Tab value="reply" leftSection={<IconMessage size={14} />}>
              {t("tickets.reply")}
            </Tabs.Tab>
            <Tabs.Tab value="note" leftSection={<IconLock size={14} />} color="yellow">
              {t("tickets.internalNote")}
            </Tabs.Tab>
          </Tabs.List>
          {form}
        </Tabs>
      ) : (
        form
      )}
    </Paper>
  );
}
