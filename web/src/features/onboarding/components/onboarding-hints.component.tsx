import type { TRole } from "@helpdesk/contracts";
import { Alert, Button, List } from "@mantine/core";
import { useLocalStorage } from "@mantine/hooks";
import { IconBulb } from "@tabler/icons-react";
import { useTranslation } from "react-i18next";

const HINT_COUNT: Record<TRole, number> = { requester: 3, executor: 4, operator: 3, admin: 3 };

/** First-visit tips for the user's role, dismissed once and remembered in localStorage. */
export function OnboardingHints({ role }: { role: TRole }) {
  const { t } = useTranslation();
  const [dismissed, setDismissed] = useLocalStorage({
    key: `hd.onboarding.${role}`,
    defaultValue: false,
    getInitialValueInEffect: false,
  });
  if (dismissed) {
    return null;
  }
  const hints = Array.from({ length: HINT_COUNT[role] }, (_, index) => t(`onboarding.${role}.${index + 1}`));
  return (
    <Alert
      icon={<IconBulb size={20} />}
      title={t("onboarding.title")}
      mb="md"
      color="teal"
      role="region"
      aria-label={t("onboarding.title")}
    >
      <List size="sm" spacing={4}>
        {hints.map((hint) => (
          <List.Item key={hint}>{hint}</List.Item>
        ))}
      </List>
      <Button size="xs" mt="sm" variant="light" color="teal" onClick={() => setDismissed(true)}>
        {t("onboarding.dismiss")}
      </Button>
    </Alert>
  );
}
