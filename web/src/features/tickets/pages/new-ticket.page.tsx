import { LIMITS } from "@helpdesk/contracts";
import { Button, Group, Paper, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { createIdempotencyKey } from "../../../shared/api/client";
import { useNotify } from "../../../shared/hooks/use-notify";
import { AttachmentPicker, filesFromPaste } from "../../attachments/components/attachment-picker.component";
import { useUploads } from "../../attachments/use-uploads";
import { useCatalogOptions } from "../../catalog/api";
import { useCreateTicket } from "../api";

export default function NewTicketPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const notify = useNotify();
  const categories = useCatalogOptions("categories");
  const priorities = useCatalogOptions("priorities");
  const create = useCreateTicket();
  const uploads = useUploads();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [categoryId, setCategoryId] = useState<string | null>(null);
  const [priorityId, setPriorityId] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  // One key per filled form: a double click or a retry after a timeout creates one ticket.
  const [idempotencyKey, setIdempotencyKey] = useState(createIdempotencyKey);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!title.trim() || uploads.busy) {
      return;
    }
    create.mutate(
      {
        idempotencyKey,
        body: {
          title: title.trim(),
          description,
          category_id: categoryId ? Number(categoryId) : undefined,
          priority_id: priorityId ? Number(priorityId) : undefined,
          attachment_ids: uploads.ids,
        },
      },
      {
        onSuccess: (ticket) => {
          notify.success(t("tickets.created_ok", { id: ticket.id }));
          setIdempotencyKey(createIdempotencyKey());
          navigate(`/tickets/${ticket.id}`);
        },
        onError: notify.error,
      },
    );
  };

  return (
    <Stack maw={760}>
      <Title order={1} size="h2">
        {t("tickets.newRequest")}
      </Title>
      <Text c="dimmed" size="sm">
        {t("tickets.newRequestHint")}
      </Text>
      <Paper withBorder p="md">
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              label={t("tickets.title")}
              required
              maxLength={LIMITS.titleMax}
              value={title}
              onChange={(event) => setTitle(event.currentTarget.value)}
              error={touched && !title.trim() ? t("auth.required") : null}
            />
            <Textarea
              label={t("tickets.description")}
              autosize
              minRows={5}
              maxRows={16}
              maxLength={LIMITS.descriptionMax}
              value={description}
              onChange={(event) => setDescription(event.currentTarget.value)}
              onPaste={(event) => {
                const files = filesFromPaste(event);
                if (files.length > 0) {
                  event.preventDefault();
                  uploads.add(files);
                }
              }}
            />
            <Group grow wrap="wrap">
              <Select
                label={t("tickets.category")}
                data={categories}
                value={categoryId}
                onChange={setCategoryId}
                clearable
                searchable
                miw={200}
              />
              <Select
                label={t("tickets.priority")}
                data={priorities}
                value={priorityId}
                onChange={setPriorityId}
                clearable
                miw={200}
              />
            </Group>
            <div>
              <Text size="sm" fw={500} mb={4}>
                {t("tickets.attachments")}
              </Text>
              <AttachmentPicker items={uploads.items} onFiles={uploads.add} onRemove={uploads.remove} />
            </div>
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending} disabled={uploads.busy}>
                {t("tickets.submit")}
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
