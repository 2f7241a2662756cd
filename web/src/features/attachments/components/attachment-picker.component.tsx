import { LIMITS } from "@helpdesk/contracts";
import { ActionIcon, Group, Progress, Stack, Text } from "@mantine/core";
import { Dropzone } from "@mantine/dropzone";
import { IconPaperclip, IconUpload, IconX } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../../shared/api/errors";
import { formatBytes } from "../../../shared/format";
import type { UploadItem } from "../use-uploads";

type Props = {
  items: UploadItem[];
  onFiles: (files: File[]) => void;
  onRemove: (key: string) => void;
  compact?: boolean;
};

/** Drop zone plus the list of files being uploaded, with progress bars. */
export function AttachmentPicker({ items, onFiles, onRemove, compact }: Props) {
  const { t } = useTranslation();
  const sizeMb = Math.round(LIMITS.uploadMaxBytes / 1024 / 1024);
  return (
    <Stack gap="xs">
      <Dropzone
        onDrop={onFiles}
        onReject={(rejections) => onFiles(rejections.map((rejection) => rejection.file))}
        multiple
        p={compact ? "xs" : "md"}
        aria-label={t("tickets.attachFile")}
      >
        <Group
          justify="center"
          gap="sm"
          mih={compact ? 24 : 60}
          style={{ pointerEvents: "none" }}
          wrap="nowrap"
        >
          <Dropzone.Accept>
            <IconUpload size={compact ? 18 : 28} />
          </Dropzone.Accept>
          <Dropzone.Reject>
            <IconX size={compact ? 18 : 28} />
          </Dropzone.Reject>
          <Dropzone.Idle>
            <IconPaperclip size={compact ? 18 : 28} />
          </Dropzone.Idle>
          <div>
            <Text size="sm">{t("tickets.dropFiles")}</Text>
            {compact ? null : (
              <Text size="xs" c="dimmed">
                {t("tickets.dropHint", { count: LIMITS.attachmentsPerItem, size: sizeMb })}
              </Text>
            )}
          </div>
        </Group>
      </Dropzone>
      {items.map((item) => (
        <Group key={item.key} gap="xs" wrap="nowrap">
          <Stack gap={2} flex={1} miw={0}>
            <Group gap="xs" justify="space-between" wrap="nowrap">
              <Text size="sm" truncate>
                {item.name}
              </Text>
              <Text size="xs" c="dimmed">
                {formatBytes(item.size)}
              </Text>
            </Group>
            {item.error ? (
              <Text size="xs" c="red" role="alert">
                {describeError(item.error, t)}
              </Text>
            ) : (
              <Progress
                value={Math.round(item.progress * 100)}
                size="sm"
                color={item.attachment ? "green" : "blue"}
                aria-label={t("tickets.uploading", { name: item.name })}
                animated={!item.attachment}
              />
            )}
          </Stack>
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={() => onRemove(item.key)}
            aria-label={t("tickets.removeFile", { name: item.name })}
          >
            <IconX size={16} />
          </ActionIcon>
        </Group>
      ))}
    </Stack>
  );
}

/** Files pasted into a text field (screenshots), for the clipboard shortcut. */
export function filesFromPaste(event: React.ClipboardEvent): File[] {
  return Array.from(event.clipboardData.files);
}
