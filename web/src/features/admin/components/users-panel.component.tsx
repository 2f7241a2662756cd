import { LANGUAGES, LIMITS, ROLES, type TLanguage, type TRole } from "@helpdesk/contracts";
import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  PasswordInput,
  Select,
  Skeleton,
  Stack,
  Table,
  TextInput,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { type FormEvent, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import type { User } from "../../../shared/api/types";
import { ErrorAlert } from "../../../shared/components/error-alert.component";
import { formatDateTime } from "../../../shared/format";
import { useNotify } from "../../../shared/hooks/use-notify";
import { useCurrentUser } from "../../auth/api";
import { useCatalog } from "../../catalog/api";
import { type UserFilters, useSaveUser, useSetUserActive, useUsers } from "../api";

function UserForm({ user, onDone }: { user: User | null; onDone: () => void }) {
  const { t } = useTranslation();
  const notify = useNotify();
  const save = useSaveUser();
  const departments = useCatalog("departments");
  const [name, setName] = useState(user?.name ?? "");
  const [email, setEmail] = useState(user?.email ?? "");
  const [role, setRole] = useState<TRole>(user?.role ?? "executor");
  const [departmentIds, setDepartmentIds] = useState<string[]>(user?.department_ids.map(String) ?? []);
  const [language, setLanguage] = useState<TLanguage>(user?.language ?? "ru");
  const [password, setPassword] = useState("");
  const creating = user === null;
  const passwordOk = creating
    ? password.length >= LIMITS.passwordMin
    : !password || password.length >= LIMITS.passwordMin;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !email.trim() || !passwordOk) {
      return;
    }
    save.mutate(
      {
        id: user?.id,
        body: {
          name: name.trim(),
          email: email.trim(),
          role,
          department_ids: departmentIds.map(Number),
          language,
          ...(password ? { password } : {}),
        },
      },
      {
        onSuccess: () => {
          notify.success(creating ? t("admin.userCreated") : t("common.saved"));
          onDone();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {save.isError ? <ErrorAlert error={save.error} /> : null}
        <TextInput
          label={t("auth.name")}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <TextInput
          label={t("auth.email")}
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
        />
        <Select
          label={t("profile.role")}
          data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
          value={role}
          allowDeselect={false}
          onChange={(value) => value && setRole(value as TRole)}
        />
        <MultiSelect
          label={t("admin.departments")}
          data={(departments.data ?? []).map((d) => ({ value: String(d.id), label: d.name }))}
          value={departmentIds}
          onChange={setDepartmentIds}
          clearable
          searchable
        />
        <Select
          label={t("language.label")}
          data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
          value={language}
          allowDeselect={false}
          onChange={(value) => value && setLanguage(value as TLanguage)}
        />
        <PasswordInput
          label={creating ? t("auth.password") : t("admin.newPasswordOptional")}
          description={t("auth.passwordHint", { min: LIMITS.passwordMin })}
          required={creating}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={password && !passwordOk ? t("auth.passwordTooShort", { min: LIMITS.passwordMin }) : null}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t("common.cancel")}
          </Button>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={!name.trim() || !email.trim() || !passwordOk}
          >
            {creating ? t("common.create") : t("common.save")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Users table with filters, add/edit dialogs and activation toggles. */
export function UsersPanel() {
  const { t, i18n } = useTranslation();
  const me = useCurrentUser();
  const notify = useNotify();
  const [role, setRole] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const [editing, setEditing] = useState<User | null | undefined>(undefined);
  const filters = useMemo<UserFilters>(
    () => ({ role: (role as TRole | null) ?? undefined, q: debouncedQ || undefined }),
    [role, debouncedQ],
  );
  const users = useUsers(filters);
  const setActive = useSetUserActive();
  const departments = useCatalog("departments");
  const departmentName = (id: number) => departments.data?.find((d) => d.id === id)?.name ?? `#${id}`;
  const rows = users.data?.pages.flatMap((page) => page.results) ?? [];

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label={t("admin.searchUsers")}
            value={q}
            onChange={(e) => setQ(e.currentTarget.value)}
            w={240}
          />
          <Select
            label={t("profile.role")}
            placeholder={t("admin.anyRole")}
            data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
            value={role}
            onChange={setRole}
            clearable
            w={200}
          />
        </Group>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing(null)}>
          {t("admin.addEmployee")}
        </Button>
      </Group>
      {users.isError ? <ErrorAlert error={users.error} onRetry={() => void users.refetch()} /> : null}
      {users.isSuccess && rows.length === 0 ? <Alert color="gray">{t("admin.noUsers")}</Alert> : null}
      <Table.ScrollContainer minWidth={600}>
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("auth.name")}</Table.Th>
              <Table.Th>{t("auth.email")}</Table.Th>
              <Table.Th>{t("profile.role")}</Table.Th>
              <Table.Th>{t("admin.departments")}</Table.Th>
              <Table.Th>{t("admin.lastLogin")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.isPending ? (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Skeleton height={24} />
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows.map((user) => (
              <Table.Tr key={user.id} c={user.is_active ? undefined : "dimmed"}>
                <Table.Td>
                  {user.name}{" "}
                  {user.is_active ? null : (
                    <Badge color="gray" size="xs">
                      {t("common.inactive")}
                    </Badge>
                  )}
                  {user.is_guest ? (
                    <Badge color="gray" size="xs" variant="outline">
                      {t("admin.guest")}
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>{user.email}</Table.Td>
                <Table.Td>{t(`roles.${user.role}`)}</Table.Td>
                <Table.Td>{user.department_ids.map(departmentName).join(", ") || t("common.none")}</Table.Td>
                <Table.Td>{formatDateTime(user.last_login_at, i18n.language)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      onClick={() => setEditing(user)}
                      aria-label={`${t("common.edit")} ${user.name}`}
                    >
                      {t("common.edit")}
                    </Button>
                    {user.id === me.id ? null : (
                      <Button
                        size="xs"
                        variant="subtle"
                        color={user.is_active ? "red" : "green"}
                        aria-label={`${user.is_active ? t("admin.deactivate") : t("admin.activate")} ${user.name}`}
                        onClick={() =>
                          setActive.mutate(
                            { id: user.id, active: !user.is_active },
                            { onError: notify.error },
                          )
                        }
                      >
                        {user.is_active ? t("admin.deactivate") : t("admin.activate")}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {users.hasNextPage ? (
        <Group justify="center">
          <Button
            variant="default"
            onClick={() => void users.fetchNextPage()}
            loading={users.isFetchingNextPage}
          >
            {t("common.loadMore")}
          </Button>
        </Group>
      ) : null}
      <Modal
        opened={editing !== undefined}
        onClose={() => setEditing(undefined)}
        title={editing ? t("admin.editUser") : t("admin.addEmployee")}
      >
        {editing !== undefined ? <UserForm user={editing} onDone={() => setEditing(undefined)} /> : null}
      </Modal>
    </Stack>
  );
}
