import { Alert, Stack, Tabs, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { useCurrentUser } from "../../auth/api";
import { CatalogPanel } from "../components/catalog-panel.component";
import { SettingsPanel } from "../components/settings-panel.component";
import { UsersPanel } from "../components/users-panel.component";

const TABS = ["users", "departments", "queues", "categories", "priorities", "settings"] as const;
type Tab = (typeof TABS)[number];

export default function AdminPage() {
  const { t } = useTranslation();
  const user = useCurrentUser();
  const navigate = useNavigate();
  const params = useParams();
  const current = (TABS as readonly string[]).includes(params["*"] ?? "") ? (params["*"] as Tab) : "users";

  if (user.role !== "admin") {
    return <Alert color="red">{t("errors.auth.forbidden")}</Alert>;
  }

  return (
    <Stack>
      <Title order={1} size="h2">
        {t("admin.title")}
      </Title>
      <Tabs value={current} onChange={(value) => value && navigate(`/admin/${value}`)} keepMounted={false}>
        <Tabs.List style={{ overflowX: "auto", flexWrap: "nowrap" }}>
          {TABS.map((tab) => (
            <Tabs.Tab key={tab} value={tab}>
              {t(`admin.${tab}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="users" pt="md">
          <UsersPanel />
        </Tabs.Panel>
        <Tabs.Panel value="departments" pt="md">
          <CatalogPanel kind="departments" />
        </Tabs.Panel>
        <Tabs.Panel value="queues" pt="md">
          <CatalogPanel kind="queues" />
        </Tabs.Panel>
        <Tabs.Panel value="categories" pt="md">
          <CatalogPanel kind="categories" />
        </Tabs.Panel>
        <Tabs.Panel value="priorities" pt="md">
          <CatalogPanel kind="priorities" />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <SettingsPanel />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
