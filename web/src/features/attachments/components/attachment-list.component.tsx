import { Anchor, Group } from "@mantine/core";
import { IconPaperclip } from "@tabler/icons-react";
import type { Attachment } from "../../../shared/api/types";
import { formatBytes } from "../../../shared/format";

/** Download links for attachments. */
export function AttachmentList({ attachments }: { attachments: Attachment[] | undefined }) {
  if (!attachments || attachments.length === 0) {
    return null;
  }
  return (
    <Group gap="sm" mt="xs">
      {attachments.map((attachment) => (
        <Anchor
          key={attachment.id}
          href={attachment.url}
          target="_blank"
          rel="noopener"
          size="sm"
          download={attachment.filename}
        >
          <Group gap={4} wrap="nowrap">
            <IconPaperclip size={14} />
            {attachment.filename} ({formatBytes(attachment.size)})
          </Group>
        </Anchor>
      ))}
    </Group>
  );
}
