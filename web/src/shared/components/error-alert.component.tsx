import { Alert, Button } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { describeError } from "../api/errors";

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" title={t("errors.loadFailed")} role="alert">
      {describeError(error, t)}
      {onRetry ? (
        <Button size="xs" variant="light" color="red" mt="sm" display="block" onClick={onRetry}>
          {t("common.retry")}
        </Button>
      ) : null}
    </Alert>
  );
}
