import { notifications } from "@mantine/notifications";
import { useCallback } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../api/errors";

/** Success and error toasts with translated API error messages. */
export function useNotify() {
  const { t } = useTranslation();
  const success = useCallback((message: string) => {
    notifications.show({ color: "green", message });
  }, []);
  const error = useCallback(
    (err: unknown) => {
      notifications.show({ color: "red", message: describeError(err, t), autoClose: 8000 });
    },
    [t],
  );
  return { success, error };
}
